"""clmkit.dask on a real distributed.LocalCluster (2 worker processes, started here): the
summary, fits and scores must be identical to the in-memory results on simulated logs with
string ids, shuffled rows and uneven partitions; bad input fails early or names the partition;
a worker restart in the middle of a computation changes nothing (Dask retries)."""

from __future__ import annotations

import time

import clmkit
import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
import clmkit.dask

N_CUSTOMERS = 100_000


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            memory_limit="1GiB",
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def log():
    """A simulated log with string ids, in random row order (about 280k rows)."""
    log = clmkit.datasets.simulate_transactions(N_CUSTOMERS, seed=11)
    log["customer_id"] = "c" + log["customer_id"].astype(str)
    return log.sample(frac=1.0, random_state=5).reset_index(drop=True)


def uneven_partitions(frame: pd.DataFrame, cuts) -> dd.DataFrame:
    """A Dask DataFrame whose partitions are the given row ranges (sizes deliberately uneven,
    one of them empty)."""
    bounds = [0, *cuts, len(frame)]
    chunks = [frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    return dd.from_map(lambda chunk: chunk, chunks)


@pytest.fixture(scope="module")
def ddf(log):
    return uneven_partitions(log, [7, 40_000, 40_000, 41_000, 180_000])


@pytest.fixture(scope="module")
def summary_pair(client, ddf):
    """(Dask summary persisted in the cluster, its computed and sorted value, the in-memory
    summary)."""
    lazy = clmkit.dask.summarize(ddf, "customer_id", "date", "amount").persist()
    computed = lazy.compute().sort_index()
    expected = clmkit.summarize(ddf.compute(), "customer_id", "date", "amount")
    return lazy, computed, expected


# --- summary ---------------------------------------------------------------------------------


def test_summary_identical_to_in_memory(summary_pair, log):
    lazy, computed, expected = summary_pair
    assert len(expected) == N_CUSTOMERS
    pd.testing.assert_frame_equal(computed, expected, check_exact=True)
    assert computed.attrs == expected.attrs
    assert lazy._meta.attrs == expected.attrs
    assert (lazy.dtypes == expected.dtypes).all()
    # The pandas log (str ids) gives the same numbers; only the id dtype differs (Dask
    # stores strings as pyarrow strings).
    direct = clmkit.summarize(log, "customer_id", "date", "amount")
    pd.testing.assert_frame_equal(computed, direct, check_exact=True, check_index_type=False)


def test_each_customer_in_one_partition(summary_pair):
    lazy, computed, _ = summary_pair
    sizes = lazy.map_partitions(len).compute()
    assert sum(sizes) == len(computed)
    assert computed.index.is_unique


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(freq="W", observation_period_end="2021-06-30"),
        dict(freq="M", include_first_transaction=True),
        dict(freq="D", freq_multiplier=7, observation_period_end=pd.Timestamp("2021-01-15 13:00")),
        dict(freq="H", monetary_value_col=None),
    ],
)
def test_summary_options_identical(client, log, kwargs):
    small = log.iloc[:20_000]
    ddf = uneven_partitions(small, [3_000, 3_001, 15_000])
    kwargs = {"monetary_value_col": "amount", **kwargs}
    got = clmkit.dask.summarize(ddf, "customer_id", "date", npartitions=3, **kwargs)
    expected = clmkit.summarize(ddf.compute(), "customer_id", "date", **kwargs)
    result = got.compute().sort_index()
    pd.testing.assert_frame_equal(result, expected, check_exact=True)
    assert result.attrs == expected.attrs


def test_tied_timestamps_sum_in_input_order(client):
    """Values whose float sum depends on the order (0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1) at one
    timestamp: the shuffle must not change the order the kernel sees."""
    rng = np.random.default_rng(0)
    n = 6_000
    log = pd.DataFrame(
        {
            "cid": rng.integers(0, 300, n),
            "day": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 40, n), unit="D"),
            "value": rng.choice([0.1, 0.2, 0.3, 1e16, -1e16, 1 / 3], n),
        }
    )
    ddf = uneven_partitions(log, [100, 2_500, 2_600])
    for shuffle_method in ("tasks", "p2p"):
        got = (
            clmkit.dask.summarize(
                ddf, "cid", "day", "value", freq="W", shuffle_method=shuffle_method
            )
            .compute()
            .sort_index()
        )
        expected = clmkit.summarize(log, "cid", "day", "value", freq="W")
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_timezone_and_string_dates(client):
    log = clmkit.datasets.load_cdnow_sample().iloc[:3_000].copy()
    aware = log.assign(date=log["date"].dt.tz_localize("Europe/Paris"))
    got = (
        clmkit.dask.summarize(dd.from_pandas(aware, npartitions=4), "customer_id", "date", "amount")
        .compute()
        .sort_index()
    )
    pd.testing.assert_frame_equal(
        got, clmkit.summarize(aware, "customer_id", "date", "amount"), check_exact=True
    )
    text = log.assign(date=log["date"].dt.strftime("%d/%m/%Y"))
    ddf = dd.from_pandas(text, npartitions=3)
    got = clmkit.dask.summarize(ddf, "customer_id", "date", datetime_format="%d/%m/%Y")
    expected = clmkit.summarize(ddf.compute(), "customer_id", "date", datetime_format="%d/%m/%Y")
    pd.testing.assert_frame_equal(got.compute().sort_index(), expected, check_exact=True)


# --- bad input -------------------------------------------------------------------------------


def _exploding_frame(meta: pd.DataFrame) -> dd.DataFrame:
    """A Dask DataFrame whose partitions raise if anything computes them."""

    def explode(_):
        raise AssertionError("a partition was computed")

    return dd.from_map(explode, [0, 1], meta=meta)


def test_missing_columns_fail_at_graph_construction():
    meta = pd.DataFrame(
        {"cid": pd.Series(dtype="int64"), "date": pd.Series(dtype="datetime64[ns]")}
    )
    ddf = _exploding_frame(meta)
    with pytest.raises(ValueError, match="datetime_col='when' is not a column"):
        clmkit.dask.summarize(ddf, "cid", "when")
    with pytest.raises(ValueError, match="monetary_value_col='amount'"):
        clmkit.dask.summarize(ddf, "cid", "date", "amount")
    with pytest.raises(ValueError, match="freq"):
        clmkit.dask.summarize(ddf, "cid", "date", freq="Q")
    with pytest.raises(ValueError, match="freq_multiplier"):
        clmkit.dask.summarize(ddf, "cid", "date", freq_multiplier=0)
    with pytest.raises(TypeError, match="dask DataFrame"):
        clmkit.dask.summarize(meta, "cid", "date")
    text_amount = meta.assign(amount=pd.Series(dtype="datetime64[ns]"))
    with pytest.raises(TypeError, match="must be numeric"):
        clmkit.dask.summarize(_exploding_frame(text_amount), "cid", "date", "amount")


def _three_partitions(bad_partition: pd.DataFrame) -> dd.DataFrame:
    good = pd.DataFrame(
        {"cid": [1, 2, 3], "date": pd.to_datetime(["2020-01-01"] * 3), "amount": [1.0, 2.0, 3.0]}
    )
    return dd.from_map(lambda f: f, [good, good, bad_partition])


def test_bad_values_name_partition_and_row(client):
    dates = pd.to_datetime(["2020-01-02", "2020-01-03", None])
    bad_date = pd.DataFrame({"cid": [4, 5, 6], "date": dates, "amount": [1.0, 1.0, 1.0]})
    with pytest.raises(ValueError, match=r"partition 2 .*datetime_col 'date': row 2 .*NaT"):
        clmkit.dask.summarize(_three_partitions(bad_date), "cid", "date", "amount")

    bad_amount = pd.DataFrame(
        {"cid": [4, 5, 6], "date": pd.to_datetime(["2020-01-02"] * 3), "amount": [1.0, np.inf, 1.0]}
    )
    lazy = clmkit.dask.summarize(_three_partitions(bad_amount), "cid", "date", "amount")
    with pytest.raises(ValueError, match=r"partition 2 .*monetary_value_col 'amount'.*row 1.*inf"):
        lazy.compute()

    missing_id = pd.DataFrame(
        {
            "cid": [4.0, np.nan, 6.0],
            "date": pd.to_datetime(["2020-01-02"] * 3),
            "amount": [1.0, 1.0, 1.0],
        }
    )
    with pytest.raises(ValueError, match=r"partition 0 .*customer_id_col 'cid': row 1.*missing"):
        clmkit.dask.summarize(dd.from_pandas(missing_id, npartitions=1), "cid", "date")


def test_inconsistent_ids(client):
    # Dask would turn object columns holding strings into pyarrow strings: keep them as given.
    with dask.config.set({"dataframe.convert-string": False}):
        mixed = pd.DataFrame(
            {
                "cid": pd.Series(["a", 7, "b"], dtype=object),
                "date": pd.to_datetime(["2020-01-02"] * 3),
            }
        )
        with pytest.raises(ValueError, match=r"partition 0 .*row 1 has invalid value 7.*one type"):
            clmkit.dask.summarize(dd.from_pandas(mixed, npartitions=1, sort=False), "cid", "date")
        unhashable = mixed.assign(cid=pd.Series([["a"], ["b"], ["c"]], dtype=object))
        with pytest.raises(ValueError, match="hashable"):
            clmkit.dask.summarize(
                dd.from_pandas(unhashable, npartitions=1, sort=False), "cid", "date"
            )
        parts = [
            pd.DataFrame(
                {"cid": pd.Series(ids, dtype=object), "date": pd.to_datetime(["2020-01-02"] * 2)}
            )
            for ids in ([1, 2], ["a", "b"])
        ]
        with pytest.raises(ValueError, match="partitions hold ids of different kinds"):
            clmkit.dask.summarize(dd.from_map(lambda f: f, parts), "cid", "date")


def test_end_before_first_transaction(client, ddf):
    with pytest.raises(ValueError, match="before the first transaction"):
        clmkit.dask.summarize(ddf, "customer_id", "date", observation_period_end="2019-12-01")


# --- resilience ------------------------------------------------------------------------------


def test_worker_restart_mid_computation(client, log):
    """Kill a worker while the summary is being computed: Dask recomputes the lost pieces
    and the result is still identical."""
    small = log.iloc[:60_000]
    bounds = np.linspace(0, len(small), 13).astype(int)
    chunks = [small.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def slow_load(chunk):
        time.sleep(0.15)
        return chunk

    ddf = dd.from_map(slow_load, chunks)
    lazy = clmkit.dask.summarize(ddf, "customer_id", "date", "amount")
    future = client.compute(lazy)
    time.sleep(0.6)
    assert not future.done()
    victim = sorted(client.scheduler_info()["workers"])[0]
    client.restart_workers([victim])
    got = future.result().sort_index()
    pd.testing.assert_frame_equal(
        got,
        clmkit.summarize(small, "customer_id", "date", "amount"),
        check_exact=True,
        check_index_type=False,
    )


# --- fitting ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted_in_memory(summary_pair):
    _, _, expected = summary_pair
    return {
        "bg": clmkit.BetaGeo().fit(expected),
        "mbg": clmkit.ModifiedBetaGeo().fit(expected),
        "gg": clmkit.GammaGamma().fit(expected),
    }


@pytest.mark.parametrize(
    "key, model",
    [("bg", clmkit.BetaGeo), ("mbg", clmkit.ModifiedBetaGeo), ("gg", clmkit.GammaGamma)],
)
def test_pattern_fit_identical_to_in_memory(summary_pair, fitted_in_memory, key, model):
    lazy, _, _ = summary_pair
    got = clmkit.dask.fit(model(), lazy, method="patterns")
    ref = fitted_in_memory[key]
    if key == "gg":
        # Gamma-Gamma fits rows without compressing them (continuous spends rarely repeat),
        # so weighted patterns and raw rows sum the same terms in other groupings: the same
        # Newton maximum up to rounding, and n_patterns_ counts the rows evaluated.
        np.testing.assert_allclose(got.params_.to_numpy(), ref.params_.to_numpy(), rtol=1e-11)
        assert got.log_likelihood_ == pytest.approx(ref.log_likelihood_, rel=1e-13)
    else:
        assert got.params_.equals(ref.params_)  # bit for bit: same patterns, same weights
        assert got.log_likelihood_ == ref.log_likelihood_
        assert got.n_patterns_ == ref.n_patterns_
    assert got.n_customers_ == ref.n_customers_
    assert got.time_unit_ == ref.time_unit_


@pytest.mark.parametrize(
    "key, model",
    [("bg", clmkit.BetaGeo), ("mbg", clmkit.ModifiedBetaGeo), ("gg", clmkit.GammaGamma)],
)
def test_likelihood_fit_matches_in_memory(summary_pair, fitted_in_memory, key, model):
    """The distributed-likelihood path sums partitions in another order than the in-memory
    fit, so only the optimum itself can agree: both fits polish it with Newton steps until
    the gradient is at rounding level (src/btyd/hooks/polish.rs in memory, the same rule in
    clmkit.dask), which pins the parameters to ~1e-13 whatever the summation order."""
    lazy, _, _ = summary_pair
    got = clmkit.dask.fit(model(), lazy, method="likelihood")
    ref = fitted_in_memory[key]
    np.testing.assert_allclose(got.params_, ref.params_, rtol=1e-10)
    assert abs(got.log_likelihood_ - ref.log_likelihood_) <= 1e-12 * abs(ref.log_likelihood_)
    np.testing.assert_allclose(got.standard_errors_, ref.standard_errors_, rtol=1e-3)
    assert got.time_unit_ == ref.time_unit_ and got.n_customers_ == ref.n_customers_
    # The fitted model is a normal model: it round-trips and predicts.
    again = type(got).from_json(got.to_json())
    assert again.params_.equals(got.params_)


def test_pareto_nbd_patterns_and_likelihood(client):
    summary = clmkit.datasets.load_cdnow_summary()
    ref = clmkit.ParetoNBD().fit(summary)
    sd = dd.from_pandas(summary, npartitions=3)
    assert clmkit.dask.fit(clmkit.ParetoNBD(), sd).params_.equals(ref.params_)
    got = clmkit.dask.fit(clmkit.ParetoNBD(), sd, method="likelihood")
    np.testing.assert_allclose(got.params_, ref.params_, rtol=1e-10)
    assert abs(got.log_likelihood_ - ref.log_likelihood_) <= 1e-12 * abs(ref.log_likelihood_)


def test_bgbb_patterns_and_likelihood(client):
    """Discrete time (frequency, recency, n_periods): the donations data, one row per donor."""
    table = clmkit.datasets.load_donations()
    counts = table["weights"].to_numpy().astype(int)
    rows = table.drop(columns="weights").rename(columns={"periods": "n_periods"})
    rows = rows.loc[rows.index.repeat(counts)].reset_index(drop=True)
    rows = rows.sample(frac=1.0, random_state=1).reset_index(drop=True)
    ref = clmkit.BetaGeoBetaBinom().fit(rows)
    sd = uneven_partitions(rows, [1_000, 1_000, 6_000])
    assert clmkit.dask.fit(clmkit.BetaGeoBetaBinom(), sd).params_.equals(ref.params_)
    got = clmkit.dask.fit(clmkit.BetaGeoBetaBinom(), sd, method="likelihood")
    np.testing.assert_allclose(got.params_, ref.params_, rtol=1e-10)


def test_auto_falls_back_to_likelihood(client, summary_pair, fitted_in_memory):
    lazy, _, _ = summary_pair
    got = clmkit.dask.fit(clmkit.BetaGeo(), lazy, max_patterns=100)
    assert got.n_patterns_ == N_CUSTOMERS  # rows evaluated, no pattern table
    np.testing.assert_allclose(got.params_, fitted_in_memory["bg"].params_, rtol=1e-10)
    with pytest.raises(ValueError, match="max_patterns"):
        clmkit.dask.fit(clmkit.BetaGeo(), lazy, method="patterns", max_patterns=100)


def test_fit_bad_input(client):
    summary = clmkit.datasets.load_cdnow_summary()
    with pytest.raises(ValueError, match="'recency'"):
        clmkit.dask.fit(
            clmkit.BetaGeo(), dd.from_pandas(summary.drop(columns="recency"), npartitions=2)
        )
    bad = summary.copy()
    bad.iloc[2000, bad.columns.get_loc("recency")] = bad["T"].iloc[2000] + 1
    with pytest.raises(ValueError, match=r"partition 1 .*recency.*row"):
        clmkit.dask.fit(clmkit.BetaGeo(), dd.from_pandas(bad, npartitions=2, sort=False))


# --- scoring ---------------------------------------------------------------------------------


def test_scores_identical_to_in_memory(summary_pair, fitted_in_memory):
    lazy, _, expected = summary_pair
    bg, gg = fitted_in_memory["bg"], fitted_in_memory["gg"]
    got = clmkit.dask.score(lazy, models=[bg, gg], horizon="365D").compute().sort_index()
    f, r, T = (expected[c] for c in ("frequency", "recency", "T"))
    np.testing.assert_array_equal(got["p_alive"], bg.p_alive(f, r, T))
    np.testing.assert_array_equal(
        got["expected_purchases_365d"], bg.conditional_expected_purchases(365.0, f, r, T)
    )
    clv = clmkit.customer_lifetime_value(
        bg, gg, expected, horizon=12, period="30D", discount_rate=0.01
    )
    np.testing.assert_array_equal(got["clv_365d"], clv)
    rfm = clmkit.rfm_scores(expected)
    pd.testing.assert_frame_equal(got[rfm.columns], rfm, check_exact=True, check_index_type=False)
    pd.testing.assert_series_equal(
        got["rfm_segment"], clmkit.rfm_segments(rfm), check_index_type=False
    )
    stages = clmkit.assign_stages(expected, p_alive=bg.p_alive(f, r, T))
    pd.testing.assert_series_equal(got["stage"], stages, check_index_type=False)


def test_approximate_edges_when_tables_are_thinned(summary_pair):
    """Above max_distinct distinct values the edges are approximate (and say so)."""
    lazy, _, expected = summary_pair
    scored = clmkit.dask.score(lazy, stages=False, max_distinct=500)
    assert scored._meta.attrs["clmkit_score"]["monetary"] is False
    got = scored.compute().sort_index()
    exact = clmkit.rfm_scores(expected)
    agree = (got["m_score"].to_numpy() == exact["m_score"].to_numpy()).mean()
    assert agree > 0.99


def test_score_bad_input(summary_pair):
    lazy, _, _ = summary_pair
    with pytest.raises(ValueError, match="not fitted"):
        clmkit.dask.score(lazy, models=[clmkit.BetaGeo()])
    with pytest.raises(TypeError, match="models must hold"):
        clmkit.dask.score(lazy, models=["bgnbd"])
    with pytest.raises(ValueError, match="'T'"):
        clmkit.dask.score(lazy.drop(columns="T"))


def test_analyze_writes_parquet(client, log, tmp_path):
    small = log.iloc[:30_000]
    ddf = dd.from_pandas(small, npartitions=4)
    result = clmkit.dask.analyze(ddf, "customer_id", "date", "amount", out=tmp_path / "customers")
    table = pd.read_parquet(tmp_path / "customers").sort_index()
    summary = clmkit.summarize(ddf.compute(), "customer_id", "date", "amount")
    pd.testing.assert_frame_equal(
        table[summary.columns], summary, check_exact=True, check_index_type=False
    )
    # The default model is clmkit.analyze's (MBG/NBD), fitted as in memory.
    mbg = clmkit.ModifiedBetaGeo().fit(summary)
    assert isinstance(result.models["transactions"], clmkit.ModifiedBetaGeo)
    assert result.models["transactions"].params_.equals(mbg.params_)
    np.testing.assert_array_equal(
        table["p_alive"], mbg.p_alive(summary["frequency"], summary["recency"], summary["T"])
    )
    assert {"clv_365d", "rfm_segment", "stage"} <= set(table.columns)


def test_analyze_defaults_match_in_memory_analyze(client, log):
    """clmkit.dask.analyze with its defaults scores as clmkit.analyze with its defaults: the
    same transaction model (MBG/NBD) and M on total spend (a one-time buyer who spent a lot
    gets a high M, which lifetimes' mean repeat spend of 0 would not give)."""
    small = log.iloc[:30_000]
    lazy = clmkit.dask.analyze(
        dd.from_pandas(small, npartitions=3), "customer_id", "date", "amount"
    )
    table = lazy.table.compute().sort_index()
    memory = clmkit.analyze(small, "customer_id", "date", "amount").table.sort_index()
    assert set(lazy.models) == {"transactions", "spend"}
    assert type(lazy.models["transactions"]).__name__ == "ModifiedBetaGeo"
    assert table.index.equals(memory.index)
    for col in ("m_score", "r_score", "f_score", "rfm_segment"):
        np.testing.assert_array_equal(
            table[col].astype(str).to_numpy(), memory[col].astype(str).to_numpy(), err_msg=col
        )
    np.testing.assert_allclose(table["p_alive"], memory["p_alive"], rtol=1e-12)
    one_time = table["frequency"] == 0
    assert one_time.any() and (table.loc[one_time, "m_score"] > 1).any()


def test_threaded_scheduler_identical(log):
    """Threads-based workers: the kernels release the GIL and give the same results."""
    small = log.iloc[:40_000]
    ddf = uneven_partitions(small, [5_000, 25_000])
    # (With a distributed Client alive Dask would pick its p2p shuffle, which needs workers.)
    got = clmkit.dask.summarize(
        ddf, "customer_id", "date", "amount", npartitions=4, shuffle_method="tasks"
    )
    expected = clmkit.summarize(ddf.compute(scheduler="threads"), "customer_id", "date", "amount")
    result = got.compute(scheduler="threads", num_workers=4).sort_index()
    pd.testing.assert_frame_equal(result, expected, check_exact=True)
    bg = clmkit.dask.fit(clmkit.BetaGeo(), got)
    assert bg.params_.equals(clmkit.BetaGeo().fit(expected).params_)
