"""What a user's type checker sees: ``mypy --strict`` on a script that uses clmkit's table
functions (pandas in -> pandas out, polars in -> polars out, ``output=`` overrides), and
stubtest of the compiled core against ``_core.pyi``.

The script also runs, so each ``assert_type`` is checked against the object at runtime.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy")
pytest.importorskip("polars")

HERE = Path(__file__).parent

USER_SCRIPT = textwrap.dedent(
    """
    from typing import Any

    import clmkit
    import numpy as np
    import numpy.typing as npt
    import pandas as pd
    import polars as pl
    from typing_extensions import assert_type

    log = clmkit.datasets.load_cdnow_sample()
    plog = pl.from_pandas(log)

    s = clmkit.summarize(log, "customer_id", "date", monetary_value_col="amount")
    assert_type(s, pd.DataFrame)
    assert isinstance(s, pd.DataFrame)

    s_pl = clmkit.summarize(plog, "customer_id", "date")
    assert_type(s_pl, pl.DataFrame)
    assert isinstance(s_pl, pl.DataFrame)

    s_lazy = clmkit.summarize(plog.lazy(), "customer_id", "date")
    assert_type(s_lazy, pl.DataFrame)
    assert isinstance(s_lazy, pl.DataFrame)

    s_arrays = clmkit.summarize(None, log["customer_id"].to_numpy(), log["date"].to_numpy())
    assert_type(s_arrays, pd.DataFrame)
    assert isinstance(s_arrays, pd.DataFrame)

    back = clmkit.summarize(plog, "customer_id", "date", output="pandas")
    assert_type(back, pd.DataFrame)
    assert isinstance(back, pd.DataFrame)

    across = clmkit.summarize(log, "customer_id", "date", output="polars")
    assert_type(across, pl.DataFrame)
    assert isinstance(across, pl.DataFrame)

    columns = clmkit.summarize(log, "customer_id", "date", output="numpy")
    assert_type(columns, dict[str, npt.NDArray[Any]])
    assert isinstance(columns, dict)

    ch = clmkit.calibration_and_holdout(log, "customer_id", "date", "1997-09-30", "1998-06-30")
    assert_type(ch, pd.DataFrame)
    assert isinstance(ch, pd.DataFrame)

    ch_pl = clmkit.calibration_and_holdout(plog, "customer_id", "date", "1997-09-30")
    assert_type(ch_pl, pl.DataFrame)
    assert isinstance(ch_pl, pl.DataFrame)

    d = clmkit.summarize_discrete(plog, "customer_id", "date", period="M")
    assert_type(d, pl.DataFrame)
    assert isinstance(d, pl.DataFrame)

    model = clmkit.BetaGeo().fit(s)
    alive = model.p_alive(s["frequency"], s["recency"], s["T"])  # Series[Any] in: Any out
    assert isinstance(alive, pd.Series)
    print(len(s), len(s_pl), len(ch), len(d))

    # BTYD predictions: pandas in -> Series on its index, polars in -> polars (the id and the
    # value), numpy in -> a float array, scalars -> float
    alive_pd = model.p_alive(s)
    assert_type(alive_pd, "pd.Series[float]")
    assert isinstance(alive_pd, pd.Series)
    alive_pl = model.p_alive(s_pl)
    assert_type(alive_pl, "pl.DataFrame | pl.Series")
    assert isinstance(alive_pl, pl.DataFrame) and alive_pl.columns == ["customer_id", "p_alive"]
    freq: npt.NDArray[np.float64] = np.asarray(s["frequency"], dtype=np.float64)
    rec: npt.NDArray[np.float64] = np.asarray(s["recency"], dtype=np.float64)
    age: npt.NDArray[np.float64] = np.asarray(s["T"], dtype=np.float64)
    expect_np = clmkit.ParetoNBD().fit(s).conditional_expected_purchases(10.0, freq, rec, age)
    assert_type(expect_np, npt.NDArray[np.float64])
    assert isinstance(expect_np, np.ndarray)
    one = model.conditional_probability_of_n_purchases(10.0, 0, 2, 30.4, 38.9)
    assert_type(one, float)
    assert isinstance(one, float)
    new = model.expected_purchases(39.0)
    assert isinstance(new, float)
    grid = model.p_alive_matrix(max_frequency=3, T=5)
    assert_type(grid, pd.DataFrame)
    money = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    spend = clmkit.GammaGamma().fit(money).conditional_expected_spend(money)
    assert_type(spend, "pd.Series[float]")
    assert isinstance(spend, pd.Series)
    spend_pl = clmkit.GammaGamma().fit(money).conditional_expected_spend(pl.from_pandas(money))
    assert_type(spend_pl, "pl.DataFrame | pl.Series")
    assert isinstance(spend_pl, pl.Series)  # no id column: a Series named expected_spend

    # rfm: pandas in -> pandas out (segments: a Series), polars in -> polars out
    r = clmkit.rfm_scores(s)
    assert_type(r, pd.DataFrame)
    assert isinstance(r, pd.DataFrame)
    r_pl = clmkit.rfm_scores(s_pl, monetary_col=None)
    assert_type(r_pl, pl.DataFrame)
    assert isinstance(r_pl, pl.DataFrame)
    r_np = clmkit.rfm_scores(s, output="numpy")
    assert_type(r_np, dict[str, npt.NDArray[Any]])
    assert isinstance(r_np, dict)
    seg = clmkit.rfm_segments(r)
    assert_type(seg, "pd.Series[str]")
    assert isinstance(seg, pd.Series)
    seg_pl = clmkit.rfm_segments(r_pl)
    assert_type(seg_pl, pl.DataFrame)
    assert isinstance(seg_pl, pl.DataFrame)
    scorer = clmkit.RFMScorer().fit(s)
    sc = scorer.transform(s)
    assert_type(sc, pd.DataFrame)
    assert isinstance(sc, pd.DataFrame)
    sc_pl = scorer.transform(s, output="polars")
    assert_type(sc_pl, pl.DataFrame)
    assert isinstance(sc_pl, pl.DataFrame)
    fit_sc = clmkit.RFMScorer(monetary_col=None).fit_transform(s_pl)
    assert_type(fit_sc, pl.DataFrame)
    assert isinstance(fit_sc, pl.DataFrame)

    # stages: assign_stages gives a Series for pandas (a frame with return_reason=True)
    st = clmkit.assign_stages(s)
    assert_type(st, "pd.Series[str]")
    assert isinstance(st, pd.Series)
    st_why = clmkit.assign_stages(s, return_reason=True)
    assert_type(st_why, pd.DataFrame)
    assert isinstance(st_why, pd.DataFrame)
    st_pl = clmkit.assign_stages(s_pl)
    assert_type(st_pl, pl.DataFrame)
    assert isinstance(st_pl, pl.DataFrame)
    st_across = clmkit.assign_stages(s_pl, return_reason=True, output="pandas")
    assert_type(st_across, pd.DataFrame)
    assert isinstance(st_across, pd.DataFrame)
    snaps = ["1997-06-30", "1997-09-30"]
    h = clmkit.stage_history(log, snaps, "customer_id", "date")
    assert_type(h, pd.DataFrame)
    assert isinstance(h, pd.DataFrame)
    h_pl = clmkit.stage_history(plog, snaps, "customer_id", "date")
    assert_type(h_pl, pl.DataFrame)
    assert isinstance(h_pl, pl.DataFrame)
    ew = clmkit.early_warning(h, top=5)
    assert_type(ew, pd.DataFrame)
    assert isinstance(ew, pd.DataFrame)
    ew_pl = clmkit.early_warning(h_pl, top=5)
    assert_type(ew_pl, pl.DataFrame)
    assert isinstance(ew_pl, pl.DataFrame)
    coh = clmkit.cohort_retention(log, "customer_id", "date")
    assert_type(coh, pd.DataFrame)
    assert isinstance(coh, pd.DataFrame)
    rate_pl = clmkit.retention_rate(plog, "customer_id", "date")
    assert_type(rate_pl, pl.DataFrame)
    assert isinstance(rate_pl, pl.DataFrame)
    rate_np = clmkit.retention_rate(log, "customer_id", "date", output="numpy")
    assert_type(rate_np, dict[str, npt.NDArray[Any]])
    assert isinstance(rate_np, dict)

    # survival and contractual
    churn = clmkit.churn_dataset(log, "customer_id", "date", inactivity_threshold=180)
    assert_type(churn, pd.DataFrame)
    assert isinstance(churn, pd.DataFrame)
    churn_pl = clmkit.churn_dataset(plog.lazy(), "customer_id", "date", inactivity_threshold=180)
    assert_type(churn_pl, pl.DataFrame)
    assert isinstance(churn_pl, pl.DataFrame)
    subs = pd.DataFrame(
        {"id": [1, 2], "start": ["2024-01-10", "2024-02-01"], "end": ["2024-03-05", None]}
    )
    sub = clmkit.summarize_subscriptions(subs, "id", "start", "end", "2024-06-30")
    assert_type(sub, pd.DataFrame)
    assert isinstance(sub, pd.DataFrame)
    sub_pl = clmkit.summarize_subscriptions(pl.from_pandas(subs), "id", "start", "end", "2024-06-30")
    assert_type(sub_pl, pl.DataFrame)
    assert isinstance(sub_pl, pl.DataFrame)
    sbg = clmkit.ShiftedBetaGeometric().fit(survivors=[1000, 869, 743, 653, 593])
    assert_type(sbg, clmkit.ShiftedBetaGeometric)
    bdw = clmkit.BetaDiscreteWeibull().fit(survivors=[1000, 869, 743, 653, 593])
    assert_type(bdw, clmkit.BetaDiscreteWeibull)
    assert isinstance(bdw, clmkit.BetaDiscreteWeibull)
    s12 = sbg.survival_function(12)
    assert_type(s12, float)
    assert isinstance(s12, float)
    s_grid = sbg.survival_function([1.0, 2.0, 3.0])
    assert_type(s_grid, npt.NDArray[np.float64])
    assert isinstance(s_grid, np.ndarray)
    kept = bdw.retention_rate(pd.Series([1.0, 2.0], index=["a", "b"]))
    assert_type(kept, "pd.Series[float]")
    assert isinstance(kept, pd.Series) and list(kept.index) == ["a", "b"]
    assert_type(sbg.churn_pmf(3), float)
    assert_type(sbg.expected_residual_lifetime([0, 1]), npt.NDArray[np.float64])
    assert_type(sbg.expected_survivors(1000, [1, 2]), npt.NDArray[np.float64])
    """
)

# The negative control: mypy must reject each of these lines (a wrong library, a wrong
# output name), so the check above cannot pass by everything being Any.
WRONG_SCRIPT = textwrap.dedent(
    """
    import clmkit
    import pandas as pd
    import polars as pl

    log = clmkit.datasets.load_cdnow_sample()
    wrong_library: pl.DataFrame = clmkit.summarize(log, "customer_id", "date")
    wrong_back: pd.DataFrame = clmkit.summarize(pl.from_pandas(log), "customer_id", "date")
    wrong_output = clmkit.summarize(log, "customer_id", "date", output="excel")
    wrong_alive: float = clmkit.BetaGeo().p_alive(pl.from_pandas(log))
    """
)


def test_a_user_script_type_checks_strictly_and_sees_the_callers_library(tmp_path: Path) -> None:
    (tmp_path / "user.py").write_text(USER_SCRIPT)
    (tmp_path / "wrong.py").write_text(WRONG_SCRIPT)
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "user.py", "wrong.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert [e for e in errors if e.startswith("user.py")] == [], run.stdout
    wrong_lines = sorted({int(e.split(":")[1]) for e in errors if e.startswith("wrong.py")})
    assert wrong_lines == [7, 8, 9, 10], run.stdout
    ran = subprocess.run(
        [sys.executable, "user.py"], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert ran.returncode == 0, ran.stderr


def test_stubtest_finds_the_stub_and_the_compiled_core_equal() -> None:
    allowlist = HERE / "stubtest_allowlist.txt"
    run = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "clmkit._core", "--allowlist", str(allowlist)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
