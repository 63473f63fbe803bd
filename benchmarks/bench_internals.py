"""Measurements behind two choices of the Rust core (issue 16), recorded with the other areas.

Runs ``benchmarks/bench_internals.sh`` (the ignored release-mode tests of
``src/numeric/measure.rs``): sorting 10M u64/i64 keys with ``slice::sort_unstable``, the
``radsort`` crate and clmkit's radix sorts, and factorising 10M integer and string ids with
std's ``HashMap`` (SipHash), ``FxHashMap`` and ``ahash``. Every variant's output is checked
equal to the reference inside the measurement. Writes ``results/internals.json``;
``report.py`` puts it into RESULTS.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

from harness import machine_info

HERE = Path(__file__).resolve().parent
ROW = re.compile(r"^\| (?P<label>[^|]+?) \| (?P<ms>[0-9.]+) \|$")


def main() -> None:
    started = time.time()
    machine = machine_info()
    run = subprocess.run(
        [str(HERE / "bench_internals.sh")], check=True, capture_output=True, text=True
    )
    timings: dict[str, dict[str, object]] = {}
    for line in run.stdout.splitlines():
        m = ROW.match(line.strip())
        if m:
            best = float(m["ms"]) / 1e3
            timings[m["label"]] = {"best": best, "runs": [best], "load1": os.getloadavg()[0]}

    def ratio(slower: str, faster: str) -> dict[str, object]:
        value = float(timings[slower]["best"]) / float(timings[faster]["best"])  # type: ignore[arg-type]
        return {"slower": slower, "faster": faster, "value": value, "target": None, "met": None}

    ratios = {
        "u64 sort: radsort vs sort_unstable": ratio(
            "u64 `slice::sort_unstable`", "u64 `radsort::sort`"
        ),
        "u64 sort: clmkit radix vs sort_unstable": ratio(
            "u64 `slice::sort_unstable`", "u64 clmkit `survival::radix::radix_sort_keys`"
        ),
        "i64 sort: radsort vs sort_unstable": ratio(
            "i64 `slice::sort_unstable`", "i64 `radsort::sort`"
        ),
        "u64 ids: FxHashMap vs std": ratio(
            "u64 std `HashMap` (SipHash-1-3)", "u64 `FxHashMap` (rustc-hash)"
        ),
        "u64 ids: ahash vs std": ratio("u64 std `HashMap` (SipHash-1-3)", "u64 `ahash`"),
        "string ids: FxHashMap vs std": ratio(
            "string std `HashMap` (SipHash-1-3)", "string `FxHashMap` (rustc-hash)"
        ),
        "string ids: ahash vs std": ratio("string std `HashMap` (SipHash-1-3)", "string `ahash`"),
    }
    data = {
        "area": "internals",
        "quick": False,
        "machine": machine,
        "finished_utc": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "load_average_end": list(os.getloadavg()),
        "elapsed_s": round(time.time() - started, 1),
        "peers": {},
        "timings": timings,
        "ratios": ratios,
        "memory": {},
        "notes": [
            "Rust core internals, not Python peers: each ratio compares two Rust "
            "implementations of the same step (10M keys or ids, 1M distinct; best of 3).",
        ],
    }
    out = HERE / "results" / "internals.json"
    out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
