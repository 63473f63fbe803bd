"""An Airflow 3 DAG that runs clmkit every day: once from Python (a ``@task``) and once through
the CLI (a ``BashOperator``), files in and files out.

Needs Airflow 3 and ``pip install 'clmkit[report]'`` (pyarrow for the files, matplotlib and
jinja2 for the report) in the environment of the workers. Copy this file into your ``dags/``
folder and set the ``CLMKIT_INPUT`` / ``CLMKIT_OUT`` environment variables (or edit the
defaults). ``make airflow-check`` runs it for real with ``airflow dags test`` on the demo data.
"""

from __future__ import annotations

import os
import shlex
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import dag, task

INPUT = os.environ.get("CLMKIT_INPUT", "/data/transactions.parquet")
OUT_DIR = os.environ.get("CLMKIT_OUT", "/data/clmkit")
COLUMNS = {"customer_id_col": "customer_id", "datetime_col": "date", "monetary_value_col": "amount"}


@task
def analyze_customers(input_path: str, out_dir: str, horizon: str = "365D") -> dict:
    """Reads the log, runs :func:`clmkit.analyze` and writes its four files into ``out_dir``.

    ``Analysis.save`` writes each file atomically, so downstream tasks never read a
    half-written one. Returns the headline numbers (small and JSON-serialisable: fit for an
    XCom).
    """
    from pathlib import Path

    import clmkit
    import pyarrow.csv
    import pyarrow.parquet

    columns = list(COLUMNS.values())
    if str(input_path).endswith((".parquet", ".pq")):
        log = pyarrow.parquet.read_table(input_path, columns=columns)  # only the needed columns
    else:  # ids are labels: read them as text, never as numbers ("007" is not "7")
        options = pyarrow.csv.ConvertOptions(
            include_columns=columns, column_types={COLUMNS["customer_id_col"]: pyarrow.string()}
        )
        log = pyarrow.csv.read_csv(input_path, convert_options=options)
    analysis = clmkit.analyze(log, **COLUMNS, horizon=horizon, output="pandas")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    analysis.save(out_dir)
    summary = analysis.summary()
    return {key: value for key, value in summary.items() if isinstance(value, (int, float))}


@dag(schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False, tags=["clmkit", "crm"])
def clmkit_customer_analytics() -> None:
    headline = analyze_customers(INPUT, OUT_DIR + "/python")
    cli = BashOperator(
        task_id="clmkit_report_cli",
        bash_command=(
            f"clmkit report {shlex.quote(INPUT)} --customer-id-col customer_id "
            "--datetime-col date --monetary-col amount --horizon 365D "
            f"--out {shlex.quote(OUT_DIR + '/cli')}"
        ),
    )
    headline >> cli


clmkit_customer_analytics()
