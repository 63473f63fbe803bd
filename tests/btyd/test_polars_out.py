"""polars in, polars out for the per-customer predictions of the BTYD models and CLV.

A polars summary gives a polars result carrying the customer id the way ``rfm_scores`` and
``assign_stages`` do: a DataFrame ``[id, value]`` when the table's first column is an id (where
``clmkit.summarize`` puts it), a Series named after the quantity when it has none (its first
column is a data column) or when the columns come as polars Series. Values must equal the
pandas path's exactly (same kernels), in the table's row order; LazyFrames are collected.
"""

import clmkit
import numpy as np
import pandas as pd
import polars as pl
import pytest
from covariates_reference import with_covariates

COUNT_MODELS = (clmkit.BetaGeo, clmkit.ModifiedBetaGeo, clmkit.ParetoNBD)


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    """CDNOW with spend, rows shuffled (so row order is not id order), 600 customers."""
    frame = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    frame.index = frame.index.astype(str).rename("customer")
    return frame.sample(n=600, random_state=3)


@pytest.fixture(scope="module")
def keyed(summary: pd.DataFrame) -> pl.DataFrame:
    """The polars summary as clmkit.summarize writes it: the id first."""
    return pl.from_pandas(summary.reset_index())


@pytest.fixture(scope="module", params=COUNT_MODELS, ids=lambda c: c.__name__)
def model(request: pytest.FixtureRequest, summary: pd.DataFrame) -> clmkit.BetaGeo:
    return request.param().fit(summary)


#: Per-customer prediction -> (result name, leading arguments).
QUERIES: dict[str, tuple[str, tuple[object, ...]]] = {
    "p_alive": ("p_alive", ()),
    "conditional_expected_purchases": ("expected_purchases", (26.0,)),
    "conditional_probability_of_n_purchases": ("probability", (26.0, 1)),
    "individual_log_likelihood": ("log_likelihood", ()),
}


def _check_keyed(result: object, expected: pd.Series, ids: pl.Series, name: str) -> None:
    assert isinstance(result, pl.DataFrame)
    assert result.columns == [ids.name, name]
    assert result.get_column(ids.name).equals(ids)  # the id carried, in the table's order
    np.testing.assert_array_equal(result.get_column(name).to_numpy(), expected.to_numpy())
    assert result.schema[name] == pl.Float64


def test_a_polars_summary_with_ids_gives_id_and_value(model, summary, keyed):
    for method, (name, lead) in QUERIES.items():
        expected = getattr(model, method)(*lead, summary)
        assert isinstance(expected, pd.Series) and expected.index.equals(summary.index)
        result = getattr(model, method)(*lead, keyed)
        _check_keyed(result, expected, keyed.get_column("customer"), name)


def test_a_polars_summary_without_ids_gives_a_named_series(model, summary):
    bare = pl.from_pandas(summary, include_index=False)
    assert bare.columns[0] == "frequency"  # a data column: no id to carry
    for method, (name, lead) in QUERIES.items():
        expected = getattr(model, method)(*lead, summary)
        result = getattr(model, method)(*lead, bare)
        assert isinstance(result, pl.Series) and result.name == name
        np.testing.assert_array_equal(result.to_numpy(), expected.to_numpy())


def test_polars_columns_give_a_polars_series(model, summary, keyed):
    cols = [keyed.get_column(c) for c in ("frequency", "recency", "T")]
    result = model.p_alive(*cols)
    assert isinstance(result, pl.Series) and result.name == "p_alive"
    np.testing.assert_array_equal(result.to_numpy(), model.p_alive(summary).to_numpy())


def test_a_lazy_frame_is_collected(model, summary, keyed):
    lazy = model.conditional_expected_purchases(26.0, keyed.lazy())
    eager = model.conditional_expected_purchases(26.0, keyed)
    assert isinstance(lazy, pl.DataFrame) and lazy.equals(eager)


def test_scalars_and_numpy_keep_their_shapes(model, summary):
    f, r, t = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    assert isinstance(model.p_alive(f, r, t), np.ndarray)
    assert isinstance(model.p_alive(2, 30.43, 38.86), float)
    grid = model.p_alive_matrix(max_frequency=3, T=5)
    assert isinstance(grid, pd.DataFrame) and grid.shape == (6, 4)


def test_pareto_dert_carries_the_id(summary, keyed):
    pnbd = clmkit.ParetoNBD().fit(summary)
    expected = pnbd.discounted_expected_residual_transactions(summary, discount_rate=0.003)
    result = pnbd.discounted_expected_residual_transactions(keyed, discount_rate=0.003)
    _check_keyed(result, expected, keyed.get_column("customer"), "dert")


def test_gamma_gamma_spend_carries_the_id(summary, keyed):
    gg = clmkit.GammaGamma().fit(summary)
    expected = gg.conditional_expected_spend(summary)
    _check_keyed(
        gg.conditional_expected_spend(keyed),
        expected,
        keyed.get_column("customer"),
        "expected_spend",
    )


def test_bgbb_with_a_periods_column_carries_the_id():
    donations = clmkit.datasets.load_donations()
    donations.index = pd.Index([f"cohort-{i}" for i in range(len(donations))], name="pattern")
    bgbb = clmkit.BetaGeoBetaBinom().fit(donations, weights="weights")
    keyed = pl.from_pandas(donations.reset_index()).reverse()  # "periods", not "n_periods"
    expected = bgbb.p_alive(donations.iloc[::-1], periods_ahead=1)
    _check_keyed(
        bgbb.p_alive(keyed, periods_ahead=1), expected, keyed.get_column("pattern"), "p_alive"
    )
    expected = bgbb.conditional_expected_purchases(5, donations.iloc[::-1])
    result = bgbb.conditional_expected_purchases(5, keyed)
    _check_keyed(result, expected, keyed.get_column("pattern"), "expected_purchases")


def test_covariate_fits_carry_the_id(summary):
    data = with_covariates(summary, 11)
    keyed = pl.from_pandas(data.reset_index())
    bg = clmkit.BetaGeo().fit(data, purchase_covariates=["web", "age"])
    ids = keyed.get_column("customer")
    _check_keyed(bg.p_alive(keyed), bg.p_alive(data), ids, "p_alive")
    expected = bg.conditional_expected_purchases(10.0, data)
    _check_keyed(
        bg.conditional_expected_purchases(10.0, keyed), expected, ids, "expected_purchases"
    )
    expected = bg.individual_log_likelihood(data)
    _check_keyed(bg.individual_log_likelihood(keyed), expected, ids, "log_likelihood")


def test_clv_functions_carry_the_id(summary, keyed):
    bg = clmkit.BetaGeo().fit(summary)
    gg = clmkit.GammaGamma().fit(summary)
    ids = keyed.get_column("customer")
    clv = clmkit.customer_lifetime_value(bg, gg, summary, horizon=6, period=30.0 / 7)
    assert isinstance(clv, pd.Series) and clv.index.equals(summary.index)
    out = clmkit.customer_lifetime_value(bg, gg, keyed, horizon=6, period=30.0 / 7)
    _check_keyed(out, clv, ids, "clv")
    value = clmkit.expected_value(bg, 12.5, summary, 52.0)
    _check_keyed(clmkit.expected_value(bg, 12.5, keyed, 52.0), value, ids, "expected_value")
    bare = clmkit.expected_value(bg, 12.5, keyed.drop("customer").lazy(), 52.0)
    assert isinstance(bare, pl.Series) and bare.name == "expected_value"
    np.testing.assert_array_equal(bare.to_numpy(), value.to_numpy())


def test_prediction_intervals_of_polars_input_are_polars(summary, keyed):
    bg = clmkit.BetaGeo().fit(summary)
    rows = keyed.head(5)
    pandas = bg.predict_interval("p_alive", summary.head(5), n_boot=20, seed=4)
    out = bg.predict_interval("p_alive", rows, n_boot=20, seed=4)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == ["customer", "estimate", "lower", "upper"]
    assert out.get_column("customer").equals(rows.get_column("customer"))
    np.testing.assert_array_equal(out.drop("customer").to_numpy(), pandas.to_numpy())


def test_a_bad_row_in_polars_input_is_named_by_position(summary, keyed):
    bg = clmkit.BetaGeo().fit(summary)
    broken = keyed.with_columns(
        pl.when(pl.int_range(pl.len()) == 7)
        .then(-1.0)
        .otherwise(pl.col("recency"))
        .alias("recency")
    )
    with pytest.raises(ValueError, match="recency") as err:
        bg.p_alive(broken)
    assert err.value.row == 7
