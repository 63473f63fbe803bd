"""The flags of ``clmkit report``."""

from __future__ import annotations

import argparse

from ..analyze.durations import DURATION_HELP

MODELS = ("mbgnbd", "paretonbd", "bgnbd")
CONTRACTUAL_MODELS = ("bdw", "sbg")


def _formats(text: str) -> tuple[str, ...]:
    names = tuple(t.strip().lower() for t in text.split(",") if t.strip())
    bad = [n for n in names if n not in ("parquet", "csv")]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"choose parquet, csv or parquet,csv (got {text!r})")
    return names


def add_report_arguments(rep: argparse.ArgumentParser) -> None:
    """Adds the input, column, CSV, model, window and output flags to ``rep``."""
    rep.add_argument("input", nargs="?", help="transaction log (.csv, .tsv, .csv.gz or .parquet)")
    rep.add_argument("--demo", action="store_true", help="use the bundled CDNOW master log")
    cols = rep.add_argument_group("columns of the input")
    cols.add_argument("--customer-id-col", help="customer id column (read as text, never a number)")
    cols.add_argument("--datetime-col", help="purchase date/time column")
    cols.add_argument("--monetary-col", help="transaction value column (enables spend and CLV)")
    csv = rep.add_argument_group("CSV format")
    csv.add_argument(
        "--delimiter", help="field separator, e.g. ';' (default ',' and tab for .tsv files)"
    )
    csv.add_argument("--decimal", default=".", help="decimal mark of amounts: '.' (default) or ','")
    csv.add_argument(
        "--date-format",
        help="strftime format of the dates, e.g. '%%d/%%m/%%Y' (default: ISO 8601 such as "
        "2024-03-31 or 2024-03-31T14:05:00+02:00)",
    )
    model = rep.add_argument_group("model and time")
    model.add_argument(
        "--horizon", default="365D", help=f"prediction horizon (default 365D). {DURATION_HELP}"
    )
    model.add_argument("--freq", default="D", help="time unit: H, D, W, M or Y (default D)")
    model.add_argument(
        "--model",
        choices=MODELS + CONTRACTUAL_MODELS,
        help="transaction model: mbgnbd (default; modified BG/NBD), paretonbd or bgnbd; "
        "with --contractual the retention model: bdw (default; beta-discrete-Weibull) or sbg "
        "(shifted-beta-geometric)",
    )
    model.add_argument("--observation-end", help="end of observation (default: last transaction)")
    model.add_argument("--calibration-end", help="also fit up to this date and plot the holdout")
    model.add_argument(
        "--interval-level",
        type=float,
        default=0.9,
        help="coverage of the CLV interval (default 0.9); 0 leaves it out",
    )
    model.add_argument("--currency", help="currency of the amounts shown in the report, e.g. EUR")
    model.add_argument(
        "--covariates",
        metavar="FILE",
        help="customer attributes (.csv or .parquet): one row per customer with the customer "
        "id column; every other column drives the purchase, churn and spend models",
    )
    stages = rep.add_argument_group(
        "lifecycle stage windows (durations such as 90D or 6M; default: derived from the data)"
    )
    stages.add_argument("--new-window", help="a first purchase this recent is 'new'")
    stages.add_argument("--maturity-window", help="tenure from which a buyer is 'mature'")
    stages.add_argument(
        "--churn-window",
        help="inactivity beyond this (and, with a model, P(alive) < 0.1) is 'churned' "
        "(default: per customer, 4.6 times their expected gap between purchases)",
    )
    add_contractual_arguments(rep)
    run = rep.add_argument_group("output")
    run.add_argument("--out", required=True, help="output directory (created if missing)")
    run.add_argument(
        "--formats",
        type=_formats,
        default=("parquet", "csv"),
        help="customer table files: parquet, csv or parquet,csv (default); models.json and "
        "report.html are always written",
    )
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.add_argument("--debug", action="store_true", help="show tracebacks on errors")


def add_contractual_arguments(rep: argparse.ArgumentParser) -> None:
    """The flags of a subscription log (``--contractual``)."""
    sub = rep.add_argument_group(
        "subscriptions (--contractual: INPUT is one row per subscription, customers leave "
        "at an observed moment)"
    )
    sub.add_argument(
        "--contractual",
        action="store_true",
        help="analyse a subscription log with a retention model instead of a transaction log",
    )
    sub.add_argument("--start-col", help="subscription start column")
    sub.add_argument("--end-col", help="subscription end column (empty = still running)")
    sub.add_argument(
        "--period",
        choices=("D", "W", "M", "Q", "Y"),
        default="M",
        help="renewal period: D, W, M (default), Q or Y",
    )
    sub.add_argument(
        "--renewal-dates",
        choices=("calendar", "anniversary"),
        default="calendar",
        help="count periods by the calendar (default) or from each subscriber's start "
        "(anniversary: a plan taken on the 20th renews on the 20th)",
    )
    sub.add_argument(
        "--margin", type=float, help="net cash flow per subscriber per period (enables value)"
    )
    sub.add_argument("--discount-rate", type=float, help="discount rate per period (default 0.01)")


def validate_contractual(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors of ``--contractual`` (exit 2, as argparse's own)."""
    if args.demo:
        parser.error("--demo is a transaction log: it cannot be used with --contractual")
    if not args.input:
        parser.error("INPUT (the subscription log) is required with --contractual")
    for flag in ("customer_id_col", "start_col"):
        if getattr(args, flag) is None:
            parser.error(f"--{flag.replace('_', '-')} is required with --contractual")
    if args.model is not None and args.model not in CONTRACTUAL_MODELS:
        parser.error(f"--model {args.model} is a transaction model: use bdw or sbg here")
