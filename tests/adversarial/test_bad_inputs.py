"""Every public entry point against bad and extreme input (see ``cases.py``).

The cases run in worker processes, in batches, each under a time limit: a case that aborts
the interpreter or hangs fails (with the batch's remaining cases re-run one by one, so one
bad case cannot hide the others), instead of killing or freezing the test run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from cases import all_cases

NAMES = [name for name, _ in all_cases()]
BATCH = 40
BATCH_SECONDS = 240
CASE_SECONDS = 60


def _run(first: int, last: int, timeout: float) -> dict[int, str]:
    verdicts: dict[int, str] = {}
    try:
        proc = subprocess.run(
            [sys.executable, str(HERE / "runner.py"), str(first), str(last)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        out, code = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as err:
        raw = err.stdout or b""
        out = raw.decode() if isinstance(raw, bytes) else raw
        code = "timeout"
    for line in out.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            verdicts[row["index"]] = row["verdict"]
    missing = [i for i in range(first, last) if i not in verdicts]
    if missing and last - first > 1:
        for i in missing:  # isolate the case that killed the batch
            verdicts.update(_run(i, i + 1, CASE_SECONDS))
    elif missing:
        verdicts[first] = f"the worker process died or hung (exit {code})"
    return verdicts


@cache
def _verdicts() -> dict[int, str]:
    batches = [(i, min(i + BATCH, len(NAMES))) for i in range(0, len(NAMES), BATCH)]
    out: dict[int, str] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for part in pool.map(lambda b: _run(b[0], b[1], BATCH_SECONDS), batches):
            out.update(part)
    return out


def test_there_are_at_least_400_cases() -> None:
    assert len(NAMES) >= 400, len(NAMES)
    assert len(set(NAMES)) == len(NAMES)


@pytest.mark.parametrize("index", range(len(NAMES)), ids=NAMES)
def test_case(index: int) -> None:
    verdict = _verdicts()[index]
    if verdict.startswith("skip: "):
        pytest.skip(verdict.removeprefix("skip: "))
    assert verdict == "ok", f"{NAMES[index]}: {verdict}"
