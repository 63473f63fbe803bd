#!/usr/bin/env bash
# Creates the peer venvs the benchmarks compare clmkit against (idempotent: a venv whose
# marker file matches the pins below is left alone).
#
#   benchmarks/.venv-lifetimes : lifetimes 0.11.3 (unmaintained; needs numpy<2, pandas<2.2,
#                                scipy<1.13 — all have CPython 3.11 wheels) + pyarrow to read
#                                the benchmark data.
#   benchmarks/.venv-peers     : lifelines, polars, duckdb, survival (the Rust-backed PyPI
#                                package, import name `survival`), pandas, pyarrow.
#   benchmarks/.venv-pymc      : pymc-marketing (the newest release that resolves on
#                                CPython 3.11) + pyarrow, and rdata to read CLVTools' .rda data.
#
# Usage: benchmarks/setup_peers.sh [python3]      (PYTHON env var also honoured)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${1:-${PYTHON:-python3}}"

LIFETIMES_PINS=(
  "lifetimes==0.11.3"
  "numpy>=1.24,<2"
  "pandas>=2.0,<2.2"
  "scipy>=1.10,<1.13"
  "pyarrow>=14,<17"
)
PEERS_PINS=(
  "lifelines"
  "polars"
  "duckdb"
  "survival"
  "pandas"
  "pyarrow"
  "numpy"
)
PYMC_PINS=(
  "pymc-marketing==0.19.2"
  "pyarrow"
  "rdata"
)

make_venv() {
  local dir="$1"; shift
  local marker="$dir/.clmkit-pins"
  local want
  want="$(printf '%s\n' "$@")"
  if [[ -x "$dir/bin/python" && -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
    echo "[setup_peers] $dir is up to date"
    return 0
  fi
  echo "[setup_peers] creating $dir"
  rm -rf "$dir"
  "$PY" -m venv "$dir"
  "$dir/bin/python" -m pip install -q --upgrade pip
  "$dir/bin/python" -m pip install -q "$@"
  printf '%s\n' "$want" > "$marker"
}

make_venv "$HERE/.venv-lifetimes" "${LIFETIMES_PINS[@]}"
make_venv "$HERE/.venv-peers" "${PEERS_PINS[@]}"
make_venv "$HERE/.venv-pymc" "${PYMC_PINS[@]}"

"$HERE/.venv-lifetimes/bin/python" - <<'EOF'
import lifetimes, numpy, pandas, scipy
from lifetimes.utils import summary_data_from_transaction_data  # noqa: F401
print(f"[setup_peers] lifetimes {lifetimes.__version__}, numpy {numpy.__version__}, "
      f"pandas {pandas.__version__}, scipy {scipy.__version__}")
EOF
"$HERE/.venv-peers/bin/python" - <<'EOF'
import lifelines, polars, duckdb, survival, pandas
print(f"[setup_peers] lifelines {lifelines.__version__}, polars {polars.__version__}, "
      f"duckdb {duckdb.__version__}, survival {getattr(survival, '__version__', '?')}, "
      f"pandas {pandas.__version__}")
EOF
"$HERE/.venv-pymc/bin/python" - <<'EOF'
import pymc, pymc_marketing
print(f"[setup_peers] pymc-marketing {pymc_marketing.__version__}, pymc {pymc.__version__}")
EOF
