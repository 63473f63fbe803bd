"""An Airflow DAG that runs clmkit every day: once from Python (a ``@task``) and once through
the CLI (a ``BashOperator``), files in and files out.

Copy this file into your ``dags/`` folder and set the ``CLMKIT_INPUT`` / ``CLMKIT_OUT``
variables (or edit the defaults). The task function is plain Python, so it runs and is
tested without Airflow installed (``tests/test_cli.py``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

INPUT = os.environ.get("CLMKIT_INPUT", "/data/transactions.parquet")
OUT_DIR = os.environ.get("CLMKIT_OUT", "/data/clmkit")
COLUMNS = {"customer_id_col": "customer_id", "datetime_col": "date", "monetary_value_col": "amount"}


def analyze_customers(input_path: str, out_dir: str, horizon: str = "365D") -> dict:
    """Reads the log, runs :func:`clmkit.analyze` and writes its four files into ``out_dir``.

    Files are written into a temporary directory next to ``out_dir`` and moved into place,
    so downstream tasks never read a half-written table. Returns the headline numbers
    (small and JSON-serialisable: fit for an XCom).
    """
    import clmkit
    import pandas as pd

    columns = list(COLUMNS.values())
    if str(input_path).endswith((".parquet", ".pq")):
        log = pd.read_parquet(input_path, columns=columns)  # reads only the needed columns
    else:
        log = pd.read_csv(input_path, usecols=columns, parse_dates=[COLUMNS["datetime_col"]])
    analysis = clmkit.analyze(log, **COLUMNS, horizon=horizon)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        analysis.save(tmp)
        out.mkdir(exist_ok=True)
        for item in tmp.iterdir():
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = analysis.summary()
    return {key: value for key, value in summary.items() if isinstance(value, (int, float))}


try:
    from airflow.decorators import dag, task
    from airflow.operators.bash import BashOperator
except ImportError:  # no Airflow here: the module still imports, for tests and reuse
    dag = task = BashOperator = None

if dag is not None:

    @dag(schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False, tags=["clmkit", "crm"])
    def clmkit_customer_analytics():
        headline = task(analyze_customers)(INPUT, OUT_DIR + "/python")
        cli = BashOperator(
            task_id="clmkit_report_cli",
            bash_command=(
                f"clmkit report {INPUT} --customer-id-col customer_id "
                f"--datetime-col date --monetary-col amount --horizon 365D "
                f"--out {OUT_DIR}/cli"
            ),
        )
        headline >> cli

    clmkit_customer_analytics()
