"""analyze, rfm_scores, the models' fit(summary) forms and the CLI's file reading go through
the same table door: the same numbers for pandas, polars (eager, lazy) and Arrow input, and
tables back in the caller's library (``output=`` overrides)."""

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit import _io

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

LOG = clmkit.datasets.simulate_transactions(300, seed=5)
KINDS = ["polars", "lazy", "arrow", "reader", "capsule"]
TYPES = {
    "pandas": pd.DataFrame,
    "polars": pl.DataFrame,
    "lazy": pl.DataFrame,
    "arrow": pa.Table,
    "reader": pa.Table,
    "capsule": pa.Table,
}


class _Capsule:
    """Any producer of the Arrow PyCapsule stream interface (not pandas, polars or pyarrow)."""

    def __init__(self, table):
        self._table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self._table.__arrow_c_stream__(requested_schema)


def _as(kind, df):
    arrow = pa.Table.from_pandas(df, preserve_index=False)
    return {
        "pandas": lambda: df,
        "polars": lambda: pl.from_pandas(df),
        "lazy": lambda: pl.from_pandas(df).lazy(),
        "arrow": lambda: arrow,
        "reader": arrow.to_reader,
        "capsule": lambda: _Capsule(arrow),
    }[kind]()


def _flat(table):
    """Any delivered table as a flat pandas frame (the customer id as the first column)."""
    if isinstance(table, pd.DataFrame):
        return table.reset_index(drop=table.index.name is None)
    return table.to_pandas()


def _assert_same(got, ref):
    got, ref = _flat(got), _flat(ref)
    assert [str(c) for c in got.columns] == [str(c) for c in ref.columns]
    for j, col in enumerate(ref.columns):
        a, b = got.iloc[:, j], ref.iloc[:, j]
        if pd.api.types.is_float_dtype(b.dtype):
            np.testing.assert_array_equal(a.to_numpy(float), b.to_numpy(float), err_msg=str(col))
        else:
            assert [str(x) for x in a] == [str(x) for x in b], col


@pytest.fixture(scope="module")
def reference():
    return clmkit.analyze(
        LOG,
        "customer_id",
        "date",
        "amount",
        interval_level=None,
        calibration_period_end="2020-12-31",
        snapshots=3,
    )


TABLES = ("table", "stage_history", "transitions", "early_warning", "cal_holdout")


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
@pytest.mark.parametrize("kind", ["polars", "lazy", "arrow"])
def test_analyze_returns_every_table_in_the_callers_library(kind, reference):
    got = clmkit.analyze(
        _as(kind, LOG),
        "customer_id",
        "date",
        "amount",
        interval_level=None,
        calibration_period_end="2020-12-31",
        snapshots=3,
    )
    assert got.library == ("arrow" if kind == "arrow" else "polars")
    for name in TABLES:
        ref = getattr(reference, name)
        assert ref is not None, name
        assert isinstance(getattr(got, name), TYPES[kind]), name
        _assert_same(getattr(got, name), ref)
    pd.testing.assert_frame_equal(
        got.to_pandas().table, reference.table, check_index_type=False, check_categorical=False
    )
    assert got.summary()["customers"] == reference.summary()["customers"]
    assert "customers" in repr(got)


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
@pytest.mark.parametrize("output", ["pandas", "polars", "arrow", "numpy"])
def test_analyze_output_override(output, tmp_path):
    got = clmkit.analyze(
        pl.from_pandas(LOG), "customer_id", "date", "amount", models=(), snapshots=2, output=output
    )
    expected = {"pandas": pd.DataFrame, "polars": pl.DataFrame, "arrow": pa.Table, "numpy": dict}
    assert isinstance(got.table, expected[output]) and got.library == output
    if output == "arrow":  # files and the report are written from the pandas tables
        paths = got.save(tmp_path)
        assert pd.read_parquet(paths["customers.parquet"]).index.name == "customer_id"
    with pytest.raises(ValueError, match="output must be one of"):
        clmkit.analyze(LOG, "customer_id", "date", output="excel")


@pytest.mark.parametrize("kind", KINDS)
def test_summarize_from_streams_and_capsules(kind):
    ref = clmkit.summarize(LOG, "customer_id", "date", "amount")
    got = clmkit.summarize(_as(kind, LOG), "customer_id", "date", "amount")
    assert isinstance(got, TYPES[kind])
    _assert_same(got, ref)


@pytest.mark.parametrize("kind", ["polars", "lazy", "arrow"])
def test_rfm_scores_on_every_library(kind):
    summary = clmkit.summarize(LOG, "customer_id", "date", "amount")
    ref = clmkit.rfm_scores(summary)
    flat = summary.reset_index()
    flat.attrs = {}
    got = clmkit.rfm_scores(_as(kind, flat))
    assert isinstance(got, TYPES[kind])
    for col in ("r_score", "f_score", "m_score", "rfm_score"):
        np.testing.assert_array_equal(_flat(got)[col].to_numpy(), ref[col].to_numpy())


@pytest.mark.parametrize("kind", ["polars", "lazy", "arrow", "reader"])
def test_model_fit_on_a_summary_of_every_library(kind):
    summary = clmkit.summarize(LOG, "customer_id", "date", "amount")
    flat = summary.reset_index()
    flat.attrs = {}
    table = _as(kind, flat)
    for model in (clmkit.BetaGeo, clmkit.GammaGamma):
        ref = model().fit(summary if model is clmkit.BetaGeo else summary[summary["frequency"] > 0])
        repeat = flat[flat["frequency"] > 0].reset_index(drop=True)
        got = model().fit(table if model is clmkit.BetaGeo else _as(kind, repeat))
        np.testing.assert_allclose(got.params_.to_numpy(), ref.params_.to_numpy(), rtol=1e-12)
    donations = clmkit.datasets.load_donations()  # weights named by column, "periods" renamed
    ref = clmkit.BetaGeoBetaBinom().fit(donations, weights="weights")
    got = clmkit.BetaGeoBetaBinom().fit(_as(kind, donations), weights="weights")
    np.testing.assert_allclose(got.params_.to_numpy(), ref.params_.to_numpy(), rtol=1e-12)


def test_fit_reads_only_the_needed_columns_of_a_lazy_summary():
    summary = clmkit.summarize(LOG, "customer_id", "date").reset_index()
    lazy = (
        pl.from_pandas(summary)
        .lazy()
        .with_columns(
            boom=pl.col("frequency").map_elements(lambda _: 1 / 0, return_dtype=pl.Float64)
        )
    )
    clmkit.BetaGeo().fit(lazy)  # the failing column is never computed


def test_cli_files_are_read_with_projection(tmp_path):
    wide = LOG.assign(**{f"extra_{i}": np.arange(len(LOG)) for i in range(20)})
    path = tmp_path / "wide.parquet"
    wide.to_parquet(path)
    table = _io.read_transactions(path, "customer_id", "date", "amount")
    assert isinstance(table, pa.Table)
    assert table.column_names == ["customer_id", "date", "amount"]
    csv = tmp_path / "wide.csv"
    wide.to_csv(csv, index=False)
    from_csv = _io.read_transactions(csv, "customer_id", "date", "amount")
    assert from_csv.column_names == ["customer_id", "date", "amount"]
    assert from_csv.schema.field("amount").type == pa.float64()
    _assert_same(
        clmkit.summarize(table, "customer_id", "date", "amount"),
        clmkit.summarize(LOG, "customer_id", "date", "amount"),
    )


def test_columns_of_any_library_are_arrays_not_tables():
    summary = clmkit.summarize(LOG, "customer_id", "date")
    ref = clmkit.BetaGeo().fit(summary).params_.to_numpy()
    cols = [summary[c].to_numpy() for c in ("frequency", "recency", "T")]
    for wrap in (pl.Series, lambda a: pa.chunked_array([a]), pa.array):
        got = clmkit.BetaGeo().fit(*[wrap(c) for c in cols]).params_.to_numpy()
        np.testing.assert_allclose(got, ref, rtol=1e-12)
    for column in (pl.Series([1.0]), pa.chunked_array([[1.0]]), pa.array([1.0]), np.ones(1)):
        assert not _io.is_table(column)
