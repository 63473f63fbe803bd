"""The CLV interval of :func:`clmkit.analyze`, without refitting anything.

Parameters are drawn from the transaction model's normal approximation on the log scale,
N(log params, covariance of the log params) from the fit's observed information (its
``variance_matrix_``), by ``predict_interval(method="parametric")``; each distinct
(frequency, recency, T) pattern is evaluated once per draw. The CLV is spend x discounted
purchases and the discount factors vary little over one horizon, so the CLV interval is the
CLV scaled by the relative bounds of the expected purchases (the spend is held at its
estimate: Gamma-Gamma is fitted separately).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def clv_interval(
    model: Any,
    clv: np.ndarray,
    table: pd.DataFrame,
    horizon_units: float,
    level: float,
    n_draws: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of each customer's CLV at coverage ``level``.

    Examples
    --------
    >>> import clmkit
    >>> s = clmkit.summarize(clmkit.datasets.load_cdnow_sample(), "customer_id", "date")
    >>> bg = clmkit.ModifiedBetaGeo().fit(s)
    >>> low, high = clv_interval(bg, np.ones(len(s)), s, 365.0, 0.9, 50, seed=0)
    >>> bool((low <= 1).all() and (high >= 1).all())
    True
    """
    rows = table[["frequency", "recency", "T"]].to_numpy(float)
    # daily data have far fewer patterns than customers
    patterns, inverse = np.unique(rows, axis=0, return_inverse=True)
    iv = model.predict_interval(
        "conditional_expected_purchases",
        horizon_units,
        patterns[:, 0],
        patterns[:, 1],
        patterns[:, 2],
        level=level,
        n_boot=n_draws,
        seed=seed,
        method="parametric",
    )
    est = iv["estimate"].to_numpy(float)
    safe = np.where(est > 0, est, 1.0)
    inverse = inverse.ravel()
    low = np.where(est > 0, iv["lower"].to_numpy(float) / safe, 1.0)[inverse]
    high = np.where(est > 0, iv["upper"].to_numpy(float) / safe, 1.0)[inverse]
    return clv * np.minimum(low, 1.0), clv * np.maximum(high, 1.0)
