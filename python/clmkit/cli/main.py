"""Command-line interface: ``clmkit demo`` and ``clmkit report`` (for Airflow, cron, shells).

``clmkit report`` never destroys what it did not write: it refuses an input file that one of
its outputs would replace, writes into a hidden temporary folder next to ``--out`` and moves
the finished files into place, removes that folder when it is stopped (Ctrl-C, SIGTERM from
a scheduler's timeout) and removes the folders of runs killed outright (``kill -9``) on the
next run. Exit codes: 0 done, 1 bad input or options, 2 usage, 130 interrupted (Ctrl-C),
143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Optional, TextIO, TypedDict, TypeVar, Union

import clmkit
from clmkit import TransactionLog

from .messages import flag_message
from .outdir import move_into_place, staging_dir

if TYPE_CHECKING:
    import pandas as pd

    from .._typing import DateLike

EXIT_BAD_INPUT = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM
T = TypeVar("T")


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM so that ``finally`` blocks clean up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _Progress:
    """Step-wise progress with timings on stderr: ``[  0.42 s] summary (0.013 s)``."""

    def __init__(self, quiet: bool = False) -> None:
        self.start = time.perf_counter()
        self.quiet = quiet

    def __call__(self, step: str, seconds: float) -> None:
        if not self.quiet:
            elapsed = time.perf_counter() - self.start
            print(f"[{elapsed:8.2f} s] {step} ({seconds:.3f} s)", file=sys.stderr, flush=True)

    def timed(self, step: str, fn: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        result = fn()
        self(step, time.perf_counter() - t0)
        return result


def _demo(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    log = clmkit.datasets.load_cdnow_master()
    loaded = time.perf_counter()
    summary = clmkit.summarize(log, "customer_id", "date", "amount", freq="D")
    done = time.perf_counter()
    print(
        f"CDNOW master log: {len(log):,} transactions of {log['customer_id'].nunique():,} customers"
    )
    print(summary.head(args.rows).to_string())
    print(
        f"loaded in {loaded - start:.3f} s, summarised in {done - loaded:.4f} s "
        f"on {clmkit.get_num_threads()} threads",
        file=sys.stderr,
    )
    return 0


# --- the input ------------------------------------------------------------------------------


class AnalyzeOptions(TypedDict, total=False):
    """The keyword arguments of :func:`clmkit.analyze` that ``clmkit report`` sets."""

    horizon: Union[str, float]
    freq: str
    observation_period_end: DateLike
    calibration_period_end: DateLike
    interval_level: Optional[float]
    models: Sequence[str]
    stage_windows: Optional[Mapping[str, Union[str, float]]]
    currency: Optional[str]
    covariates: pd.DataFrame


def _analyze_options(args: argparse.Namespace) -> AnalyzeOptions:
    windows = {
        name: getattr(args, name)
        for name in ("new_window", "maturity_window", "churn_window")
        if getattr(args, name) is not None
    }
    return {
        "horizon": args.horizon,
        "freq": args.freq,
        "observation_period_end": args.observation_end,
        "calibration_period_end": args.calibration_end,
        "interval_level": args.interval_level or None,
        "models": (args.model or "mbgnbd", "gammagamma"),
        "stage_windows": windows or None,
        "currency": args.currency,
    }


def _report_inputs(
    args: argparse.Namespace, progress: _Progress
) -> tuple[TransactionLog, tuple[str, str, Optional[str]], AnalyzeOptions]:
    """The log and the analyze() arguments, from the file or the bundled CDNOW data."""
    options = _analyze_options(args)
    # Read once: analyze() and every step it runs take the TransactionLog's arrays, not a table.
    if args.demo:
        cols: tuple[str, str, Optional[str]] = ("customer_id", "date", "amount")
        if options["calibration_period_end"] is None:
            options["calibration_period_end"] = "1997-09-30"  # the papers' 39-week calibration
        log = progress.timed(
            "load bundled CDNOW master log",
            lambda: TransactionLog.from_frame(clmkit.datasets.load_cdnow_master(), *cols),
        )
        _add_covariates(args, options, progress, cols[0], ids_as_text=False)
        return log, cols, options
    from .inputs import read_log

    cols = (args.customer_id_col, args.datetime_col, args.monetary_col)
    log = progress.timed(
        f"read {args.input}",
        lambda: TransactionLog.from_frame(
            read_log(
                args.input,
                *cols,
                delimiter=args.delimiter,
                date_format=args.date_format,
                decimal=args.decimal,
            ),
            *cols,
        ),
    )
    _release_arrow_memory()
    _add_covariates(args, options, progress, cols[0], ids_as_text=True)
    return log, cols, options


def _release_arrow_memory() -> None:
    """Returns to the system the memory Arrow's allocator keeps after reading the file (its
    pages and the columns already converted: ~100 MB at 3M transactions), which would
    otherwise stay in the run's peak (reached later, in the stage history)."""
    if "pyarrow" in sys.modules:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()


def _add_covariates(
    args: argparse.Namespace,
    options: AnalyzeOptions,
    progress: _Progress,
    customer_id_col: str,
    ids_as_text: bool,
) -> None:
    """``--covariates FILE`` read into ``options["covariates"]`` (ids as the log reads them)."""
    if getattr(args, "covariates", None) is None:
        return
    from .inputs import read_covariates

    path = args.covariates
    options["covariates"] = progress.timed(
        f"read {path}",
        lambda: read_covariates(path, customer_id_col, ids_as_text, getattr(args, "decimal", ".")),
    )


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Optional[TextIO] = None,
    line: Optional[str] = None,
) -> None:
    """Warnings as one line on stderr (no source excerpt): this is a tool, not a library."""
    print(f"clmkit: warning: {flag_message(str(message))}", file=sys.stderr, flush=True)


# --- the output folder ----------------------------------------------------------------------


def _check_out(out: Path, input_path: Optional[str], formats: Sequence[str]) -> None:
    """Refuses an ``--out`` that is a file, or an input that an output file would replace."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a directory")
    if input_path is None:
        return
    from ..analyze.result import FORMATS

    source = Path(input_path).resolve()
    for name in [FORMATS[f] for f in formats]:
        if (out / name).resolve() == source:
            raise ValueError(
                f"the input file {input_path} would be replaced by the output {name}: "
                f"choose another --out or move the input"
            )


@contextmanager
def _cleanup_on_signals() -> Iterator[None]:
    """SIGTERM (Airflow's timeout, ``kill``) raises :class:`Terminated` so that the caller's
    ``finally`` removes the temporary folder; Ctrl-C raises KeyboardInterrupt as usual."""
    if threading_main() is False:
        yield
        return

    def on_term(signum: int, frame: Optional[FrameType]) -> None:
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def threading_main() -> bool:
    return threading.current_thread() is threading.main_thread()


def _report(args: argparse.Namespace) -> int:
    shown = warnings.showwarning
    if not args.debug:
        warnings.showwarning = _show_warning
    try:
        return _run_report(args)
    finally:
        warnings.showwarning = shown


def _run_report(args: argparse.Namespace) -> int:
    progress = _Progress(args.quiet)
    if args.contractual:
        from .contractual import run_contractual

        return run_contractual(args, progress)
    formats = (*args.formats, "json", "html")
    out = Path(args.out).resolve()
    _check_out(out, args.input, formats)
    with _report_machinery_loading():
        log, cols, options = _report_inputs(args, progress)
        # the log was read once into a TransactionLog (from a pyarrow Table of the needed
        # columns, without a copy); analyze() hands it to every step
        analysis = clmkit.analyze(log, *cols, progress=progress, output="pandas", **options)
        out.parent.mkdir(parents=True, exist_ok=True)
        with staging_dir(out) as tmp:
            analysis.save(tmp, progress=progress, formats=tuple(formats))
            move_into_place(tmp, out)
    print(f"wrote {len(analysis.table):,} customers to {out}", file=sys.stderr)
    for text in analysis.warnings:
        print(f"clmkit: warning: {text}", file=sys.stderr)
    return 0


@contextmanager
def _report_machinery_loading() -> Iterator[None]:
    """Loads matplotlib and the report template in a thread while the body reads and
    analyses the log (Arrow and Rust, GIL released): half a second less on two cores. The
    thread is joined on the way out, also on errors and Ctrl-C, so the process never ends
    while it imports."""
    thread = threading.Thread(target=_load_report_machinery, name="clmkit-report-load")
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _load_report_machinery() -> None:
    from ..report.render import load_report_machinery

    # an error here (no matplotlib, no jinja2) is raised again by the report step, with its
    # message, so the thread says nothing
    with suppress(Exception):
        load_report_machinery()


def _add_report_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from .args import add_report_arguments

    rep = sub.add_parser(
        "report",
        help="analyze a transaction log: customer table + HTML report",
        description="Reads a CSV or Parquet transaction log and writes "
        "customers.parquet, customers.csv, models.json and report.html into --out.",
    )
    add_report_arguments(rep)
    rep.set_defaults(func=_report, validate=_validate_report)


def _validate_report(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.contractual:
        from .args import validate_contractual

        validate_contractual(parser, args)
        return
    if args.model in ("bdw", "sbg"):
        parser.error(f"--model {args.model} is a retention model: add --contractual")
    if args.demo:
        if args.input:
            parser.error("give either INPUT or --demo, not both")
        return
    if not args.input:
        parser.error("INPUT is required (or --demo)")
    for flag in ("customer_id_col", "datetime_col"):
        if getattr(args, flag) is None:
            parser.error(f"--{flag.replace('_', '-')} is required with INPUT")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clmkit", description=clmkit.__doc__)
    parser.add_argument("--version", action="version", version=f"clmkit {clmkit.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="summarise the bundled CDNOW log and print the head")
    demo.add_argument("--rows", type=int, default=10, help="rows of the summary to print")
    demo.set_defaults(func=_demo, validate=None)
    _add_report_parser(sub)
    return parser


def console_main() -> int:
    """The ``clmkit`` console script and ``python -m clmkit``: :func:`main` in a process of
    its own.

    The objects the imports made (pandas, pyarrow, numpy: hundreds of thousands) live until
    the process ends, so they are frozen out of the cyclic garbage collector, whose full
    passes over them took 0.15 s of a 1M-customer report. ``main()`` called from Python (an
    Airflow task) leaves the host's collector alone.
    """
    gc.freeze()
    return main()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``clmkit`` command line (see :func:`console_main` for the script).

    User errors (missing file or column, unparseable dates, bad options) print one line
    ``clmkit: error: ...`` naming the command-line flag and the file's data row, and return
    1; ``--debug`` shows the traceback instead. Ctrl-C returns 130 and SIGTERM 143, after
    removing the temporary output folder, with one line on stderr.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.validate is not None:
        args.validate(parser, args)
    try:
        with _cleanup_on_signals():
            return int(args.func(args))
    except KeyboardInterrupt:
        print("clmkit: interrupted (Ctrl-C); no output written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated as exc:
        name = signal.Signals(exc.signum).name
        print(f"clmkit: stopped by {name}; no output written", file=sys.stderr)
        return EXIT_TERMINATED
    except (ValueError, TypeError, KeyError, OSError, ImportError, clmkit.ConvergenceError) as exc:
        if getattr(args, "debug", False):
            traceback.print_exc()
        else:
            print(f"clmkit: error: {flag_message(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
