"""Command-line interface: ``clmkit demo`` (and later subcommands)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Optional, Sequence

import clmkit


def _demo(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    log = clmkit.datasets.load_cdnow_master()
    loaded = time.perf_counter()
    summary = clmkit.summarize(log, "customer_id", "date", "amount", freq="D")
    done = time.perf_counter()
    print(f"CDNOW master log: {len(log):,} transactions of {log['customer_id'].nunique():,} customers")
    print(summary.head(args.rows).to_string())
    print(f"loaded in {loaded - start:.3f} s, summarised in {done - loaded:.4f} s "
          f"on {clmkit.get_num_threads()} threads", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clmkit", description=clmkit.__doc__)
    parser.add_argument("--version", action="version", version=f"clmkit {clmkit.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="summarise the bundled CDNOW log and print the head")
    demo.add_argument("--rows", type=int, default=10, help="rows of the summary to print")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``clmkit`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))
