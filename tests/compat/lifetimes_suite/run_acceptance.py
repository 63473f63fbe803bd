"""Runs lifetimes 0.11.3's own test files against ``clmkit.compat.lifetimes``.

lifetimes' tests are not in its PyPI sdist and are not part of this repository, so this is
an opt-in check, not part of ``pytest tests``: point it at a lifetimes checkout (``git clone
--branch v0.11.3 https://github.com/CamDavidsonPilon/lifetimes``)::

    python tests/compat/lifetimes_suite/run_acceptance.py --lifetimes-src ../lifetimes
    make lifetimes-acceptance LIFETIMES_SRC=../lifetimes

The test files are copied into a temporary folder next to a ``lifetimes/datasets`` folder
holding clmkit's bundled copies of the data (the tests read CSVs by relative path) and run
with the ``lifetimes_alias`` plugin, which makes ``import lifetimes`` load the façade. The
script prints the pass count and the failing tests and exits non-zero below ``--min-pass``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEST_FILES = ("test_estimation.py", "test_utils.py")
DATA_FILES = (
    "CDNOW_master.txt",
    "CDNOW_sample.txt",
    "cdnow_customers_summary.csv",
    "cdnow_customers_summary_with_transactions.csv",
    "donations.csv",
    "example_transactions.csv",
)


def _stage(src: Path, work: Path, files: list[str]) -> Path:
    """Copies lifetimes' test files and clmkit's data into ``work``; returns the tests dir."""
    tests = work / "tests"
    tests.mkdir()
    for name in (*files, "conftest.py"):
        origin = src / "tests" / name
        if not origin.is_file():
            raise SystemExit(f"{origin} not found: --lifetimes-src must be a lifetimes checkout")
        shutil.copy(origin, tests / name)
    import clmkit.datasets

    data = work / "lifetimes" / "datasets"
    data.mkdir(parents=True)
    for name in DATA_FILES:
        with clmkit.datasets.data_path(name).open("rb") as fh:
            (data / name).write_bytes(fh.read())
    (work / "pytest.ini").write_text("[pytest]\n")
    return tests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifetimes-src", type=Path, required=True)
    parser.add_argument("--min-pass", type=int, default=0)
    parser.add_argument(
        "--files", nargs="+", default=list(TEST_FILES), help="lifetimes test files to run"
    )
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lifetimes-acceptance-") as tmp:
        work = Path(tmp)
        tests = _stage(args.lifetimes_src.resolve(), work, args.files)
        env = dict(
            os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
        )
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "lifetimes_alias",
            "-p",
            "no:cacheprovider",
            "-c",
            str(work / "pytest.ini"),
            "--rootdir",
            str(work),
            "-q",
            "-rf",
            "-W",
            "ignore::DeprecationWarning",
            str(tests),
            *args.pytest_args,
        ]
        run = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    print(run.stdout[-20000:])
    print(run.stderr[-5000:], file=sys.stderr)
    tail = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    passed = int(m.group(1)) if (m := re.search(r"(\d+) passed", tail)) else 0
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|error|errors)", tail)}
    total = sum(counts.values())
    print(f"lifetimes acceptance: {passed} of {total} passed")
    return 0 if passed >= args.min_pass else 1


if __name__ == "__main__":
    raise SystemExit(main())
