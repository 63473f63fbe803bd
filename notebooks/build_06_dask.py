"""Writes notebooks/06_dask.ipynb from the cells below and executes it in place (outputs
saved): ``python notebooks/build_06_dask.py``. CI re-executes it (``pytest --nbmake``)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

CELLS = [
    (
        "md",
        """
# 6. The same analysis on Dask

`clmkit.dask` runs the summary, the model fits and the scores on a Dask DataFrame, so logs
larger than one machine's memory go through the same analysis, and the numbers are the
in-memory ones. Here a small log on a local two-process cluster; on a real cluster only the
`Client` line changes. (Install with `pip install 'clmkit[dask]'`.)
""",
    ),
    (
        "code",
        """
import os, tempfile, warnings
import numpy as np
import pandas as pd
import dask.dataframe as dd
from distributed import Client, LocalCluster

import clmkit
import clmkit.dask

warnings.filterwarnings("ignore", category=FutureWarning)
# Two worker processes with one task thread each; each caps clmkit's Rust thread pool
# (CLMKIT_NUM_THREADS, see docs/snippets/dask.md) so the machine is not oversubscribed.
cluster = LocalCluster(n_workers=2, threads_per_worker=1, memory_limit="1GiB",
                       dashboard_address=None, env={"CLMKIT_NUM_THREADS": "1"})
client = Client(cluster)
print(len(client.scheduler_info()["workers"]), "workers")
""",
    ),
    (
        "md",
        """
## A transaction log as chunked Parquet

30,000 simulated customers (BG/NBD purchases, Gamma-Gamma spend), string ids, rows in
random order, written as several Parquet files and read back lazily.
""",
    ),
    (
        "code",
        """
log = clmkit.datasets.simulate_transactions(30_000, seed=6)
log["customer_id"] = "c" + log["customer_id"].astype(str)
log = log.sample(frac=1.0, random_state=1).reset_index(drop=True)
folder = tempfile.mkdtemp()
bounds = np.linspace(0, len(log), 6).astype(int)
for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
    log.iloc[a:b].to_parquet(f"{folder}/part-{i}.parquet")
ddf = dd.read_parquet(folder)
print(f"{len(log):,} transactions in {ddf.npartitions} partitions")
""",
    ),
    (
        "md",
        """
## Summary: one shuffle by customer, the Rust kernel per partition

The default observation end is the global last date, computed once. After `compute`, the
summary equals `clmkit.summarize` on the same rows exactly (values, dtypes, attrs).
""",
    ),
    (
        "code",
        """
summary = clmkit.dask.summarize(ddf, "customer_id", "date", "amount").persist()
in_memory = clmkit.summarize(ddf.compute(), "customer_id", "date", "amount")
computed = summary.compute().sort_index()
pd.testing.assert_frame_equal(computed, in_memory, check_exact=True)
print("identical to clmkit.summarize:", computed.attrs == in_memory.attrs)
computed.head()
""",
    ),
    (
        "md",
        """
## Fitting: combined pattern tables

Each partition reduces its customers to distinct (frequency, recency, T) rows with counts;
the tables are combined and the model is fitted on them: the parameters are the in-memory
ones to the bit. (`method="likelihood"` keeps the data distributed and sums the
log-likelihood over partitions at every Newton step, for pattern tables too large to combine.)
""",
    ),
    (
        "code",
        """
bg = clmkit.dask.fit(clmkit.BetaGeo(), summary)
gg = clmkit.dask.fit(clmkit.GammaGamma(), summary)
print("BG/NBD identical to in-memory:", bg.params_.equals(clmkit.BetaGeo().fit(in_memory).params_))
print("Gamma-Gamma identical to in-memory:", gg.params_.equals(clmkit.GammaGamma().fit(in_memory).params_))
bg.summary
""",
    ),
    (
        "md",
        """
## Scores, lazily

P(alive), expected purchases, CLV, RFM scores with globally computed quantile edges, segments
and lifecycle stages, computed partition by partition (`to_parquet` streams them).
""",
    ),
    (
        "code",
        """
scores = clmkit.dask.score(summary, models=[bg, gg], horizon="365D")
table = scores.compute().sort_index()
rfm = clmkit.rfm_scores(in_memory)
print("RFM identical to in-memory:", table[rfm.columns].equals(rfm))
table.head()
""",
    ),
    (
        "code",
        """
table["stage"].value_counts(sort=False).to_frame("customers")
""",
    ),
    (
        "md",
        """
## End to end: `clmkit.dask.analyze` to Parquet
""",
    ),
    (
        "code",
        """
result = clmkit.dask.analyze(ddf, "customer_id", "date", "amount", out=f"{folder}/customers")
customers = pd.read_parquet(f"{folder}/customers")
print(result, {k: round(v, 2) for k, v in result.timings.items()})
customers[["frequency", "p_alive", "clv_365d", "rfm_segment", "stage"]].describe(include="all").T
""",
    ),
    (
        "code",
        """
client.close()
cluster.close()
""",
    ),
]


def main() -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for kind, text in CELLS:
        nb.cells.append(
            nbformat.v4.new_markdown_cell(text.strip())
            if kind == "md"
            else nbformat.v4.new_code_cell(text.strip())
        )
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}
    ).execute()
    path = HERE / "06_dask.ipynb"
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    print("built", main())
