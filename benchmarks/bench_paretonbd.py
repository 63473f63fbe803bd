"""Benchmark: Pareto/NBD fitting (issue "BTYD models II").

clmkit.ParetoNBD().fit on customer summaries (days) of simulated logs
(clmkit.datasets.simulate_transactions, summarised with clmkit.summarize) against
lifetimes 0.11.3's ParetoNBDFitter (Nelder-Mead, own venv with numpy<2) in the same run, at
100k customers; clmkit alone at 1M customers (target: < 5 s on 2 cores). Also times the
per-customer predictions (p_alive + conditional expectation) and a 200-replicate parametric
predict_interval. Both estimates are scored with the same likelihood
(a note records them; a warning if lifetimes' is higher).

Run: ``python benchmarks/bench_paretonbd.py`` (``BENCH_QUICK=1`` for a smoke run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import clmkit
from harness import Bench

LIFETIMES_CODE = """
from lifetimes import ParetoNBDFitter
for name, s in sorted(data.items()):
    fitter = ParetoNBDFitter(penalizer_coef=0.0)
    run = lambda: fitter.fit(s["frequency"], s["recency"], s["T"])
    timeit(f"lifetimes fit {name}", run, repeat=1, n_customers=len(s))
    result(f"lifetimes params {name}", [float(v) for v in fitter.params_.values])
"""


def summary_of(n_customers: int, seed: int):
    log = clmkit.datasets.simulate_transactions(n_customers, seed=seed)
    s = clmkit.summarize(log, "customer_id", "date", freq="D")
    return s[["frequency", "recency", "T"]].reset_index(drop=True)


def main() -> None:
    b = Bench("paretonbd")
    n_peer = b.pick(full=100_000, quick=5_000)
    n_big = b.pick(full=1_000_000, quick=20_000)
    label_peer, label_big = f"{n_peer // 1000}k", f"{n_big // 1000}k"

    small = summary_of(n_peer, seed=1)
    model = clmkit.ParetoNBD()
    b.time(
        f"clmkit fit {label_peer}",
        lambda: model.fit(small),
        repeat=3,
        n_customers=n_peer,
        warmup=True,
    )
    res = b.run_peer("lifetimes", code=LIFETIMES_CODE, data={label_peer: small})
    lt_params = res["results"][f"lifetimes params {label_peer}"]
    # Both fits scored by one likelihood (clmkit's, checked against scipy in the tests).
    lt_ll = float(clmkit.ParetoNBD.from_params(lt_params).individual_log_likelihood(small).sum())
    b.note(
        f"{label_peer}: clmkit log-likelihood {model.log_likelihood_:.2f} "
        f"(params {np.round(model.params_.to_numpy(), 4).tolist()}); lifetimes' estimate scores "
        f"{lt_ll:.2f} (params {np.round(lt_params, 4).tolist()})"
    )
    if lt_ll > model.log_likelihood_ + 0.1:
        b.note("WARNING: lifetimes found a higher likelihood than clmkit")
    b.ratio(
        f"ParetoNBD fit, {label_peer} customers",
        f"lifetimes fit {label_peer}",
        f"clmkit fit {label_peer}",
        target=300,
    )

    big = summary_of(n_big, seed=2)
    b.time(
        f"clmkit fit {label_big}",
        lambda: clmkit.ParetoNBD().fit(big),
        repeat=3,
        n_customers=n_big,
        memory="rss",
    )
    fitted = clmkit.ParetoNBD().fit(big)
    b.note(
        f"{label_big}: {fitted.n_patterns_} distinct patterns, {fitted.n_iter_} iterations, "
        f"{clmkit.get_num_threads()} threads; target fit < 5 s on 2 cores"
    )
    b.time(
        f"clmkit p_alive + conditional expectation {label_big}",
        lambda: (fitted.p_alive(big), fitted.conditional_expected_purchases(30, big)),
        repeat=3,
    )
    sample = big.iloc[:10_000]
    b.time(
        "clmkit predict_interval p_alive, 10k customers x 200 replicates",
        lambda: fitted.predict_interval("p_alive", sample, seed=1),
        repeat=1,
    )
    b.save()


if __name__ == "__main__":
    main()
