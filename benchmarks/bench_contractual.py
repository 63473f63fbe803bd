"""Benchmark: contractual retention models (issue "contractual churn").

Individual-level sBG and BdW fits on simulated censored subscribers (one cohort observed
for 36 monthly renewals, drawn by clmkit's seeded simulator from sBG(0.8, 2.5) / BdW(0.8,
2.5, 0.7)). clmkit compresses the customers to (renewals, churned) counts in Rust and fits
by Newton on the log-parameters; target: 10M subscribers in <= 1 s on 2 cores.
pymc-marketing's ShiftedBetaGeoModel (its own venv, benchmarks/.venv-pymc) is fitted on the
same customers with ``fit(method="map")`` (its fast path; the default is MCMC), same run,
at the sizes it completes; a size it fails at (error or the time limit) is noted.

Run: ``python benchmarks/bench_contractual.py`` (``BENCH_QUICK=1`` for a smoke run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import clmkit
from clmkit import _core
from harness import VENVS, Bench

HORIZON = 36
PYMC_CODE = """
import warnings
import numpy as np
import pymc_marketing
from pymc_marketing.clv import ShiftedBetaGeoModel
warnings.filterwarnings("ignore")
result("pymc-marketing version", pymc_marketing.__version__)
for name, df in sorted(data.items(), key=lambda kv: len(kv[1])):
    def run():
        model = ShiftedBetaGeoModel(data=df)
        model.fit(method="map", progressbar=False)
        return model
    timeit(f"pymc-marketing sBG MAP {name}", run, repeat=1, n_customers=len(df))
    model = run()
    fit = model.fit_result
    post = fit.posterior if hasattr(fit, "posterior") else fit
    result(f"pymc params {name}", [float(post["alpha"].values.ravel()[0]),
                                   float(post["beta"].values.ravel()[0])])
"""


def subscribers(kind: str, params: list, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    horizons = np.full(n, float(HORIZON))
    return _core.contractual_simulate(kind, params, horizons, seed)


def pymc_frame(renewals: np.ndarray, churned: np.ndarray) -> pd.DataFrame:
    """pymc-marketing's layout: recency = churn period (or T when active), T = horizon + 1."""
    recency = np.where(churned == 1, renewals + 1, HORIZON + 1).astype(np.int64)
    return pd.DataFrame(
        {
            "customer_id": np.arange(len(renewals)),
            "recency": recency,
            "T": np.full(len(renewals), HORIZON + 1, dtype=np.int64),
            "cohort": "c",
        }
    )


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def main() -> None:
    b = Bench("contractual")
    big = b.pick(full=10_000_000, quick=100_000)
    peer_sizes = b.pick(full=[10_000, 100_000, 1_000_000], quick=[2_000])
    truth = {"sbg": [0.8, 2.5], "bdw": [0.8, 2.5, 0.7]}
    models = {"sbg": clmkit.ShiftedBetaGeometric, "bdw": clmkit.BetaDiscreteWeibull}

    b.record("budget 1 s", 1.0)
    for kind in ("sbg", "bdw"):
        r, e = subscribers(kind, truth[kind], big, seed=7)
        fitted = {}

        def fit(r=r, e=e, kind=kind):
            fitted["m"] = models[kind]().fit(renewals=r, churned=e)

        b.time(f"clmkit {kind} fit {label(big)}", fit, repeat=3, n_customers=big, warmup=True)
        m = fitted["m"]
        b.note(
            f"clmkit {kind} on {label(big)}: params {m.params_.round(4).tolist()} "
            f"(truth {truth[kind]}), {m.n_iter_} Newton iterations, "
            f"{int(m._info['n_patterns'])} (renewals, churned) patterns"
        )
        b.ratio(
            f"{kind} fit {label(big)} within 1 s",
            "budget 1 s",
            f"clmkit {kind} fit {label(big)}",
            target=1.0,
        )

    frames = {}
    for n in peer_sizes:
        r, e = subscribers("sbg", truth["sbg"], n, seed=11)
        b.time(
            f"clmkit sbg fit {label(n)}",
            lambda r=r, e=e: clmkit.ShiftedBetaGeometric().fit(renewals=r, churned=e),
            repeat=3,
            n_customers=n,
            warmup=True,
        )
        frames[label(n)] = pymc_frame(r, e)
    if VENVS["pymc"].exists():
        try:
            res = b.run_peer("pymc", code=PYMC_CODE, data=frames, timeout=3000)
            b.note(
                f"pymc-marketing {res['results'].get('pymc-marketing version')}: "
                "ShiftedBetaGeoModel(data).fit(method='map') with its default priors (MAP, not "
                "the MLE, hence the small differences); times include building and compiling the "
                "model, as a user pays them. 10M was not attempted: its graph holds per-customer "
                "arrays and coordinates, too much memory for this shared machine."
            )
            for n in peer_sizes:
                b.ratio(
                    f"sBG fit vs pymc-marketing MAP, {label(n)}",
                    f"pymc-marketing sBG MAP {label(n)}",
                    f"clmkit sbg fit {label(n)}",
                )
                params = res["results"].get(f"pymc params {label(n)}")
                if params:
                    b.note(
                        f"pymc-marketing MAP {label(n)}: alpha, beta = {np.round(params, 4).tolist()}"
                    )
        except Exception as err:
            b.note(f"pymc-marketing failed: {str(err)[-600:]}")
    else:
        b.note(
            "pymc-marketing venv missing: python -m venv benchmarks/.venv-pymc && pip install pymc-marketing pyarrow"
        )
    b.save()


if __name__ == "__main__":
    main()
