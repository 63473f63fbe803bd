"""Simulation recovery of covariate coefficients (issue 21), a short run of
``benchmarks/coverage_covariates.py`` (the full 200 replicates live there).

20 replicates of 2,000 simulated customers per model, two covariates on both processes.
Per coefficient the number of 95% intervals covering the truth is Binomial(20, 0.95) when
the intervals are right: P(<= 15 of 20) = 0.003, so at least 16 of 20 is required; pooled
over the model's coefficients at least 88%; and the mean estimate lies within 4 Monte-Carlo
standard errors of the truth (no bias beyond simulation noise). The seeds are fixed, so the
outcome is deterministic.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import clmkit
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
REPLICATES = 20


def _coverage_module():
    spec = importlib.util.spec_from_file_location(
        "clmkit_coverage_covariates", ROOT / "benchmarks" / "coverage_covariates.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(
    not hasattr(clmkit, "lr_test"), reason="the covariate engine is not in this build"
)
@pytest.mark.parametrize("kind", ["bgnbd", "paretonbd"])
def test_95_percent_intervals_cover_the_true_coefficients(kind):
    table = _coverage_module().coverage(kind, REPLICATES, n_customers=2000, seed=5000)
    assert len(table) == (6 if kind == "bgnbd" else 4)
    assert (table["replicates"] == REPLICATES).all()
    covered = table["coverage"] * REPLICATES
    assert (covered >= 16).all(), table
    assert table["coverage"].mean() >= 0.88, table
    bias = (table["mean_estimate"] - table["truth"]).abs()
    assert (bias < 4 * table["sd_estimate"] / np.sqrt(REPLICATES)).all(), table
