"""A user's script: `mypy --strict` must accept it against the installed wheel (issue 22).

tests/packaging/check_fresh_venvs.sh runs it in a fresh venv that has only the wheel,
mypy and pandas-stubs, so the types come from the wheel's py.typed, _core.pyi and
annotated modules, never from the source tree.
"""

from __future__ import annotations

import clmkit
import numpy as np
import pandas as pd


def active_customers(log: pd.DataFrame) -> pd.DataFrame:
    summary: pd.DataFrame = clmkit.summarize(
        log, "customer_id", "date", monetary_value_col="amount", freq="D"
    )
    model = clmkit.BetaGeo().fit(summary)
    alive = np.asarray(model.p_alive(summary["frequency"], summary["recency"], summary["T"]))
    return summary.assign(p_alive=alive)


def median_tenure(durations: np.ndarray, events: np.ndarray) -> float:
    km: clmkit.KaplanMeier = clmkit.KaplanMeier().fit(durations, events)
    return float(km.median_survival_time_)


if __name__ == "__main__":
    table = active_customers(clmkit.datasets.load_cdnow_sample())
    rossi = clmkit.datasets.load_rossi()
    tenure = median_tenure(rossi["week"].to_numpy(), rossi["arrest"].to_numpy())
    print(f"{len(table)} customers, mean P(alive) {table['p_alive'].mean():.3f}, {tenure}")
