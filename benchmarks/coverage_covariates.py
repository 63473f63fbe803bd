"""Simulation recovery of covariate coefficients (issue 21): coverage of the 95% intervals.

Each replicate simulates ``n_customers`` customers from BG/NBD or Pareto/NBD whose purchase
and dropout processes depend on two covariates (``web``, a 0/1 channel dummy, and ``age``, a
standard normal), fits the model with both covariates on both processes, and checks whether
each coefficient's 95% interval (``summary``'s ``lower 95%`` / ``upper 95%``, from the
observed information) covers the true value.

With 200 replicates and a true coverage of 0.95, the number of covering intervals is
Binomial(200, 0.95): mean 190, sd 3.1, so 95% of such experiments land within 0.92..0.98
(184..196 of 200); the acceptance band [0.91, 0.98] adds one replicate of slack below.

Run: ``python benchmarks/coverage_covariates.py [replicates]`` (default 200); writes
``benchmarks/results/covariate_coverage.json``. ``tests/btyd/test_covariates_coverage.py``
runs fewer replicates of the same function.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import clmkit
import numpy as np
import pandas as pd
from clmkit.datasets import simulate_covariate_summary

RESULTS = Path(__file__).resolve().parent / "results" / "covariate_coverage.json"
COVARIATES = ["web", "age"]
SETUPS: dict[str, dict[str, Any]] = {
    "bgnbd": {
        "cls": clmkit.BetaGeo,
        "params": {"r": 0.8, "alpha": 4.0, "a": 0.9, "b": 3.0},
        "coefficients": {
            "purchase": {"web": 0.5, "age": -0.3},
            "dropout_a": {"web": -0.4, "age": 0.2},
            "dropout_b": {"web": 0.3, "age": -0.2},
        },
    },
    "paretonbd": {
        "cls": clmkit.ParetoNBD,
        "params": {"r": 0.8, "alpha": 4.0, "s": 0.8, "beta": 12.0},
        "coefficients": {
            "purchase": {"web": 0.5, "age": -0.3},
            "dropout": {"web": -0.4, "age": 0.3},
        },
    },
}
BAND = (0.91, 0.98)


def _intervals(model: Any) -> pd.DataFrame:
    """The coefficient rows of ``summary``, indexed by (process, covariate)."""
    coefs = model.coefficients_
    table = model.summary.iloc[-len(coefs) :]
    assert np.allclose(table["coef"].to_numpy(), coefs.to_numpy())
    return table.set_axis(coefs.index)


def replicate(kind: str, n_customers: int, seed: int) -> pd.DataFrame:
    """One simulated data set and fit: the coefficient table with a ``covered`` column."""
    setup = SETUPS[kind]
    rng = np.random.default_rng([seed, 1])
    cov = {
        "web": (rng.random(n_customers) < 0.4).astype(float),
        "age": rng.normal(size=n_customers),
    }
    T = rng.uniform(26.0, 78.0, n_customers)
    data = simulate_covariate_summary(
        kind, n_customers, setup["params"], setup["coefficients"], cov, T=T, seed=seed
    )
    model = setup["cls"]().fit(data, purchase_covariates=COVARIATES, dropout_covariates=COVARIATES)
    table = _intervals(model)
    truth = pd.Series(
        {(b, c): v for b, cs in setup["coefficients"].items() for c, v in cs.items()}
    ).reindex(table.index)
    table = table.assign(truth=truth.to_numpy())
    table["covered"] = (table["lower 95%"] <= table["truth"]) & (
        table["truth"] <= table["upper 95%"]
    )
    return table


def coverage(kind: str, replicates: int, n_customers: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Coverage of each coefficient's 95% interval over ``replicates`` simulated data sets,
    with the mean estimate and the mean standard error against the estimates' spread."""
    tables = [replicate(kind, n_customers, seed + i) for i in range(replicates)]
    stacked = pd.concat(tables, keys=range(replicates), names=["replicate"])
    grouped = stacked.groupby(level=[1, 2], sort=False)
    return pd.DataFrame(
        {
            "truth": grouped["truth"].first(),
            "mean_estimate": grouped["coef"].mean(),
            "sd_estimate": grouped["coef"].std(ddof=1),
            "mean_se": grouped["se"].mean(),
            "coverage": grouped["covered"].mean(),
            "replicates": grouped["covered"].size(),
        }
    )


def main(replicates: int = 200) -> None:
    out: dict[str, Any] = {
        "replicates": replicates,
        "n_customers": 2000,
        "band": BAND,
        "band_reason": "Binomial(200, 0.95): 95% of experiments cover 184..196 of 200",
        "models": {},
    }
    for kind in SETUPS:
        t0 = time.perf_counter()
        table = coverage(kind, replicates)
        seconds = time.perf_counter() - t0
        print(f"{kind}: {seconds:.1f} s\n{table.round(4)}", flush=True)
        rows = table.reset_index()
        out["models"][kind] = {
            "seconds": round(seconds, 2),
            "in_band": bool(table["coverage"].between(*BAND).all()),
            "coefficients": [
                {str(k): (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                for r in rows.to_dict("records")
            ],
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(f"saved {RESULTS}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
