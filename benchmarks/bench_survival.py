"""Benchmark: survival models of churn (issue 6).

clmkit's CoxPH (Efron ties), KaplanMeier, concordance_index and WeibullAFT on simulated
proportional-hazards data (1M rows x 5 covariates), against, in the same run:

- lifelines: CoxPHFitter, KaplanMeierFitter, utils.concordance_index, WeibullAFTFitter,
- the Rust-backed ``survival`` package from PyPI (R's survival API): coxph, survfit and
  concordance,

Cox runs on two versions of the data: continuous times (no ties; lifelines then takes its
row-by-row path) and times rounded to 0.01 (~500 distinct values, like churn measured in
whole days; lifelines then batches the rows of each distinct time with numpy, its fast path).
Peers run in the ``peers`` venv (``benchmarks/setup_peers.sh``; the current interpreter is used when
that venv is missing and the peers are importable here). Before timing, every peer's answer
is checked against clmkit's on a 5,000-row sample.

Run: ``python benchmarks/bench_survival.py`` (``BENCH_QUICK=1`` for a smoke run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import clmkit
from harness import Bench

COVARIATES = ["x1", "x2", "x3", "x4", "x5"]
BETA = np.array([0.4, -0.3, 0.2, 0.0, 0.5])


def simulate(n: int, seed: int = 0, decimals: int | None = 2) -> pd.DataFrame:
    """Exponential PH times with independent exponential censoring (~35% censored), rounded
    to ``decimals`` (None: continuous)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(COVARIATES)))
    event_time = rng.exponential(np.exp(-x @ BETA))
    censor_time = rng.exponential(2.0, n)
    df = pd.DataFrame(x, columns=COVARIATES)
    t = np.minimum(event_time, censor_time)
    df["T"] = t + 1e-6 if decimals is None else t.round(decimals) + 10.0**-decimals
    df["E"] = (event_time <= censor_time).astype(np.int64)
    return df


PEER_CODE = r"""
import warnings
import numpy as np
warnings.filterwarnings("ignore")
df = data["df"]
df_continuous = data["df_continuous"]
check = data["check"]
cols = ["x1", "x2", "x3", "x4", "x5"]
formula = "Surv(T, E) ~ " + " + ".join(cols)
T, E = df["T"].to_numpy(float), df["E"].to_numpy(float)
score = -(df[cols].to_numpy() @ np.array([0.4, -0.3, 0.2, 0.0, 0.5]))

import lifelines
from lifelines.utils import concordance_index
cph = lifelines.CoxPHFitter().fit(check, "T", "E")
result("lifelines_cox_params_check", cph.params_[cols].tolist())
wb = lifelines.WeibullAFTFitter().fit(check, "T", "E")
result("lifelines_weibull_loglik_check", float(wb.log_likelihood_))
ct, ce = check["T"].to_numpy(float), check["E"].to_numpy(float)
cs = -(check[cols].to_numpy() @ np.array([0.4, -0.3, 0.2, 0.0, 0.5]))
result("lifelines_cindex_check", float(concordance_index(ct, cs, ce)))
result("lifelines_km_check", lifelines.KaplanMeierFitter().fit(ct, ce).survival_function_.iloc[:, 0].tolist()[-5:])

timeit("lifelines CoxPHFitter", lambda: lifelines.CoxPHFitter().fit(df, "T", "E"), repeat=1)
timeit("lifelines CoxPHFitter continuous", lambda: lifelines.CoxPHFitter().fit(df_continuous, "T", "E"), repeat=1)
timeit("lifelines KaplanMeierFitter", lambda: lifelines.KaplanMeierFitter().fit(T, E), repeat=3)
timeit("lifelines concordance_index", lambda: concordance_index(T, score, E), repeat=1)
timeit("lifelines WeibullAFTFitter", lambda: lifelines.WeibullAFTFitter().fit(df, "T", "E"), repeat=1)

try:
    import survival
except ImportError:
    survival = None
if survival is not None:
    m = survival.coxph(formula, data=check)
    result("survival_cox_params_check", [float(v) for v in survival.coef(m)])
    c = survival.concordance(survival.Surv(time=ct, event=ce), scores=cs)
    result("survival_cindex_check", float(c.concordance))
    timeit("survival coxph", lambda: survival.coxph(formula, data=df), repeat=1)
    timeit("survival coxph continuous", lambda: survival.coxph(formula, data=df_continuous), repeat=1)
    timeit("survival survfit", lambda: survival.survfit(survival.Surv(time=T, event=E)), repeat=3)
    timeit("survival concordance",
           lambda: survival.concordance(survival.Surv(time=T, event=E), scores=score), repeat=1)
"""


def clmkit_answers(check: pd.DataFrame) -> dict:
    cox = clmkit.CoxPH().fit(check, "T", "E")
    score = -(check[COVARIATES].to_numpy() @ BETA)
    return {
        "cox": cox.params_[COVARIATES].to_numpy(),
        "weibull_loglik": clmkit.WeibullAFT().fit(check, "T", "E").log_likelihood_,
        "cindex": clmkit.concordance_index(check["T"], score, check["E"]),
        "km": clmkit.KaplanMeier()
        .fit(check["T"], check["E"])
        .survival_function_.iloc[-5:, 0]
        .to_numpy(),
    }


def verify(res: dict, ours: dict, b: Bench) -> None:
    """Peers must agree with clmkit on the check sample before their timings mean anything."""
    r = res.get("results", {})
    checks = {
        "lifelines Cox coefficients": np.abs(
            np.array(r["lifelines_cox_params_check"]) - ours["cox"]
        ).max()
        < 1e-4,
        "lifelines Weibull log-likelihood": abs(
            r["lifelines_weibull_loglik_check"] - ours["weibull_loglik"]
        )
        < 1e-3,
        "lifelines concordance": abs(r["lifelines_cindex_check"] - ours["cindex"]) < 1e-12,
        "lifelines Kaplan-Meier": np.abs(np.array(r["lifelines_km_check"]) - ours["km"]).max()
        < 1e-12,
    }
    if "survival_cox_params_check" in r:
        checks["survival Cox coefficients"] = (
            np.abs(np.array(r["survival_cox_params_check"]) - ours["cox"]).max() < 1e-5
        )
        checks["survival concordance"] = abs(r["survival_cindex_check"] - ours["cindex"]) < 1e-9
    for name, ok in checks.items():
        b.note(f"check on 5,000 rows: {name} {'agree' if ok else 'DISAGREE'} with clmkit")
        if not ok:
            raise SystemExit(f"[survival] peer answer differs from clmkit: {name}")


def peer_venv() -> str:
    from harness import VENVS

    if (VENVS["peers"] / "bin" / "python").exists():
        return "peers"
    return "main"


def main() -> None:
    b = Bench("survival")
    n = b.pick(full=1_000_000, quick=10_000)
    size = f"{n // 1000}k" if n < 1_000_000 else f"{n // 1_000_000}M"
    df = simulate(n)
    df_continuous = simulate(n, decimals=None)
    check = simulate(5_000, seed=1)
    ours = clmkit_answers(check)
    score = -(df[COVARIATES].to_numpy() @ BETA)
    T, E = df["T"].to_numpy(), df["E"].to_numpy()

    b.time(f"clmkit CoxPH {size}", lambda: clmkit.CoxPH().fit(df, "T", "E"), repeat=3, memory=True)
    b.time(
        f"clmkit CoxPH continuous {size}",
        lambda: clmkit.CoxPH().fit(df_continuous, "T", "E"),
        repeat=3,
    )
    b.time(f"clmkit KaplanMeier {size}", lambda: clmkit.KaplanMeier().fit(T, E), repeat=3)
    b.time(
        f"clmkit concordance_index {size}", lambda: clmkit.concordance_index(T, score, E), repeat=3
    )
    b.time(f"clmkit WeibullAFT {size}", lambda: clmkit.WeibullAFT().fit(df, "T", "E"), repeat=3)

    res = b.run_peer(
        peer_venv(),
        code=PEER_CODE,
        data={"df": df, "df_continuous": df_continuous, "check": check},
        prefix="",
        tag="survival",
    )
    verify(res, ours, b)
    pairs = [
        ("CoxPH (continuous times)", "lifelines CoxPHFitter continuous", "CoxPH continuous", 10),
        ("CoxPH (times rounded to 0.01)", "lifelines CoxPHFitter", "CoxPH", 10),
        ("Kaplan-Meier", "lifelines KaplanMeierFitter", "KaplanMeier", 5),
        ("concordance", "lifelines concordance_index", "concordance_index", 10),
        ("Weibull AFT", "lifelines WeibullAFTFitter", "WeibullAFT", None),
        ("CoxPH (continuous times)", "survival coxph continuous", "CoxPH continuous", None),
        ("CoxPH (times rounded to 0.01)", "survival coxph", "CoxPH", None),
        ("Kaplan-Meier", "survival survfit", "KaplanMeier", None),
        ("concordance", "survival concordance", "concordance_index", None),
    ]
    for what, peer, ours_name, target in pairs:
        if peer in b.timings:
            b.ratio(
                f"clmkit vs {peer.split()[0]}: {what}, {size} rows x 5",
                peer,
                f"clmkit {ours_name} {size}",
                target=target,
            )
    b.note(
        f"{n:,} rows, 5 normal covariates, ~{1 - E.mean():.0%} censored, times rounded to 0.01 "
        f"({len(np.unique(T)):,} distinct): Efron ties matter."
    )
    b.save()


if __name__ == "__main__":
    main()
