#!/usr/bin/env bash
# Runs the whole benchmark suite and rewrites benchmarks/RESULTS.md:
#   1. peer venvs (benchmarks/setup_peers.sh, idempotent),
#   2. clmkit built in release mode into the current venv (or benchmarks/.venv-main),
#   3. every benchmarks/bench_*.py (or only those named: run_all.sh summary rfm),
#   4. benchmarks/report.py.
# BENCH_QUICK=1 gives a smoke run on small sizes (results/*.quick.json, not in RESULTS.md).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
cd "$ROOT"

if [[ -z "${VIRTUAL_ENV:-}" ]]; then
  if [[ ! -x "$HERE/.venv-main/bin/python" ]]; then
    python3 -m venv "$HERE/.venv-main"
  fi
  # shellcheck disable=SC1091
  source "$HERE/.venv-main/bin/activate"
fi
python -m pip install -q maturin numpy pandas pyarrow polars duckdb narwhals scipy

"$HERE/setup_peers.sh"
maturin develop --release -q

status=0
if [[ $# -gt 0 ]]; then
  scripts=()
  for area in "$@"; do scripts+=("$HERE/bench_${area}.py"); done
else
  scripts=("$HERE"/bench_*.py)
fi
for script in "${scripts[@]}"; do
  echo "=== $(basename "$script") ($(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1 /proc/loadavg))"
  if ! python "$script"; then
    echo "!!! $(basename "$script") failed" >&2
    status=1
  fi
done

if [[ -n "${BENCH_QUICK:-}" && "${BENCH_QUICK}" != "0" ]]; then
  python "$HERE/report.py" --quick
else
  python "$HERE/report.py"
fi
exit $status
