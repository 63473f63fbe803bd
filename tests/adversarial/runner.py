"""Runs adversarial cases in this process and prints one JSON verdict per line.

Usage: ``python runner.py FIRST LAST`` runs cases FIRST..LAST-1 of ``cases.all_cases()``.
A line is printed (and flushed) as each case ends, so when the process dies or hangs the
cases already reported keep their verdicts and the rest are known to be lost.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from cases import all_cases


def main() -> None:
    first, last = int(sys.argv[1]), int(sys.argv[2])
    warnings.simplefilter("ignore")
    for index, (name, run) in enumerate(all_cases()[first:last], start=first):
        try:
            verdict = run()
        except BaseException as err:
            verdict = f"case raised {type(err).__name__}: {str(err)[:200]}"
        print(json.dumps({"index": index, "name": name, "verdict": verdict}), flush=True)


if __name__ == "__main__":
    main()
