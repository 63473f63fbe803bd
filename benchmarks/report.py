"""Assemble benchmarks/results/*.json into benchmarks/RESULTS.md.

Usage: ``python benchmarks/report.py [--quick]`` (``--quick`` reads the ``*.quick.json`` smoke
results instead and writes ``RESULTS.quick.md``, which is not committed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
OUT = HERE / "RESULTS.md"

MACHINE_KEYS = [
    "date_utc",
    "cpu",
    "cores",
    "cores_available",
    "memory_gb",
    "os",
    "python",
    "numpy",
    "pandas",
    "polars",
    "pyarrow",
    "duckdb",
    "scipy",
    "clmkit",
    "clmkit_threads",
    "CLMKIT_NUM_THREADS",
    "git_commit",
]


def _fmt_seconds(s: Any) -> str:
    if s is None or s != s:  # None or NaN
        return "—"
    if s >= 100:
        return f"{s:.0f} s"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} µs"


def _fmt(x: Any, digits: int = 1) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _load_note(data: dict) -> str:
    cores = data["machine"].get("cores_available") or data["machine"].get("cores") or 1
    start = (data["machine"].get("load_average") or [None])[0]
    end = (data.get("load_average_end") or [None])[0]
    loads = [x for x in (start, end) if x is not None]
    loads += [t.get("load1") for t in data["timings"].values() if t.get("load1") is not None]
    if not loads:
        return ""
    worst = max(loads)
    text = f"1-minute load average during the run: {min(loads):.1f}–{worst:.1f} on {cores} cores"
    if worst > 1.5 * cores:
        text += (
            " — **the machine was shared and loaded: absolute times are inflated and "
            "noisy; compare the ratios, measured side by side in the same run**"
        )
    return text + "."


def area_section(data: dict) -> list[str]:
    lines = [f"## {data['area']}" + (" (quick smoke run)" if data.get("quick") else ""), ""]
    m = data["machine"]
    lines.append(
        f"Run {m.get('date_utc')} – {data.get('finished_utc')}, "
        f"{data.get('elapsed_s')} s, clmkit threads: {m.get('clmkit_threads')}, "
        f"commit {m.get('git_commit')}."
    )
    load = _load_note(data)
    if load:
        lines.append(load)
    if data.get("peers"):
        peers = "; ".join(
            f"{venv}: " + ", ".join(f"{k} {v}" for k, v in vers.items())
            for venv, vers in data["peers"].items()
        )
        lines.append(f"Peer environments — {peers}.")
    lines.append("")
    if data.get("ratios"):
        lines += [
            "| comparison | slower | faster | ratio | target | met |",
            "|---|---|---|---:|---:|:---:|",
        ]
        for name, r in data["ratios"].items():
            target = "—" if r.get("target") is None else f"≥ {r['target']:g}x"
            met = "—" if r.get("met") is None else ("yes" if r["met"] else "**no**")
            slower = data["timings"].get(r["slower"], {}).get("best")
            faster = data["timings"].get(r["faster"], {}).get("best")
            lines.append(
                f"| {name} | {r['slower']} ({_fmt_seconds(slower)}) | {r['faster']} "
                f"({_fmt_seconds(faster)}) | {r['value']:.1f}x | {target} | {met} |"
            )
        lines.append("")
    if data.get("timings"):
        lines += [
            "| timing | best | runs | peak RSS (MiB) | tracemalloc peak (MiB) | where |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for label, t in data["timings"].items():
            lines.append(
                f"| {label} | {_fmt_seconds(t.get('best'))} | {len(t.get('runs', []))} | "
                f"{_fmt(t.get('peak_rss_mb'))} | {_fmt(t.get('tracemalloc_peak_mb'))} | "
                f"{t.get('peer', 'main')} |"
            )
        lines.append("")
    if data.get("memory"):
        keys = sorted({k for v in data["memory"].values() for k in v})
        lines += ["| memory | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
        for label, v in data["memory"].items():
            lines.append(f"| {label} | " + " | ".join(_fmt(v.get(k), 2) for k in keys) + " |")
        lines.append("")
    for note in data.get("notes", []):
        lines.append(f"- {note}")
    if data.get("notes"):
        lines.append("")
    return lines


def machine_section(runs: list[dict]) -> list[str]:
    m = runs[0]["machine"]
    lines = ["## Machine", "", "| | |", "|---|---|"]
    for key in MACHINE_KEYS:
        if m.get(key) is not None:
            lines.append(f"| {key} | {m[key]} |")
    return lines + [""]


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    files = sorted(p for p in RESULTS.glob("*.json") if p.name.endswith(".quick.json") == quick)
    out = OUT.with_name("RESULTS.quick.md") if quick else OUT
    # benchmark areas only (other result files, e.g. covariate_coverage.json, have no "area")
    runs = [r for r in (json.loads(p.read_text()) for p in files) if "area" in r]
    lines = [
        "# clmkit benchmarks",
        "",
        "Side-by-side timings of clmkit and the libraries it replaces, each comparison "
        "measured in the same run on the same data. Ratios are `time(peer) / "
        "time(clmkit)` (higher = clmkit faster); times are the best of the repeats.",
        "",
        "Reproduce: `benchmarks/run_all.sh` (creates the peer venvs, builds clmkit in "
        "release mode, runs every `benchmarks/bench_*.py` and rewrites this file), or one "
        "area: `python benchmarks/bench_<area>.py && python benchmarks/report.py`. "
        "`BENCH_QUICK=1` gives a smoke run on small sizes.",
        "",
    ]
    if not runs:
        lines.append("No results yet.")
    else:
        lines += machine_section(runs)
        for data in runs:
            lines += area_section(data)
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out} ({len(runs)} areas)")


if __name__ == "__main__":
    main(sys.argv[1:])
