#!/usr/bin/env bash
# Runs examples/airflow_dag.py for real: `airflow dags test` with Airflow 3 from PyPI in its
# own venv (kept in $AIRFLOW_VENV between runs: /tmp, outside the repository), on the bundled
# CDNOW data, with the clmkit wheel built by `make wheel`. Called by `make airflow-check`.
set -euo pipefail
cd "$(dirname "$0")/.."
AIRFLOW_VERSION="${AIRFLOW_VERSION:-3.3.2}"
VENV="${AIRFLOW_VENV:-/tmp/clmkit-airflow-venv}"
start=$SECONDS

if [ "$(cat "$VENV/.airflow-version" 2>/dev/null)" != "$AIRFLOW_VERSION" ]; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q "apache-airflow==$AIRFLOW_VERSION"
    echo "$AIRFLOW_VERSION" > "$VENV/.airflow-version"
fi
echo "airflow venv ready in $((SECONDS - start)) s"
wheel=$(ls dist/clmkit-*.whl)
"$VENV/bin/pip" install -q --force-reinstall --no-deps "$wheel"
"$VENV/bin/pip" install -q "$wheel[report]"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export AIRFLOW_HOME="$work/home" AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_FOLDER="$work/dags" PATH="$VENV/bin:$PATH"
mkdir -p "$AIRFLOW__CORE__DAGS_FOLDER"
cp examples/airflow_dag.py "$AIRFLOW__CORE__DAGS_FOLDER/"
export CLMKIT_INPUT="$work/transactions.parquet" CLMKIT_OUT="$work/out"
"$VENV/bin/python" -c "import clmkit, sys; clmkit.datasets.load_cdnow_master()[['customer_id', 'date', 'amount']].to_parquet(sys.argv[1])" "$CLMKIT_INPUT"

"$VENV/bin/airflow" db migrate > "$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }
"$VENV/bin/airflow" dags list-import-errors 2>&1 | tee "$work/import.log"
if grep -q "airflow_dag.py" "$work/import.log"; then echo "the DAG does not import"; exit 1; fi
"$VENV/bin/airflow" dags test clmkit_customer_analytics 2024-01-02 > "$work/test.log" 2>&1 \
    || { tail -50 "$work/test.log"; exit 1; }
for sub in python cli; do
    for f in customers.parquet customers.csv models.json report.html; do
        test -s "$CLMKIT_OUT/$sub/$f" || { echo "missing $sub/$f"; tail -50 "$work/test.log"; exit 1; }
    done
done
grep -E "Marking run .* successful|state=success|success" "$work/test.log" | tail -3 || true
echo "airflow-check OK: both tasks wrote their files ($((SECONDS - start)) s in all)"
