"""What lifetimes accepts at its edges: integer date columns with ``datetime_format``,
lifetimes' error sentences (with clmkit's detail), BG/BB weights and Hardie's Table 6."""

import numpy as np
import pandas as pd
import pytest
from clmkit.compat.lifetimes import BetaGeoBetaBinomFitter, BetaGeoFitter, GammaGammaFitter, utils
from clmkit.compat.lifetimes.datasets import load_dataset, load_donations

LOG = pd.DataFrame(
    {
        "id": [1, 1, 2, 3, 3, 3, 4, 4],
        "date": [20150101, 20150206, 20150101, 20150101, 20150102, 20150105, 20150116, 20150202],
        "value": [1.0, 2, 2, 3, 1, 5, 6, 3],
    }
)
TEXT = LOG.assign(date=LOG["date"].astype(str))


def test_integer_dates_with_a_format_are_read_as_text():
    kw = dict(datetime_format="%Y%m%d", observation_period_end="20150207")
    got = utils.summary_data_from_transaction_data(LOG, "id", "date", "value", **kw)
    want = utils.summary_data_from_transaction_data(TEXT, "id", "date", "value", **kw)
    pd.testing.assert_frame_equal(got, want)
    assert got.loc[1, "T"] == 37.0 and got.loc[1, "recency"] == 36.0
    first = utils._find_first_transactions(LOG, "id", "date", datetime_format="%Y%m%d", freq="W")
    pd.testing.assert_frame_equal(
        first,
        utils._find_first_transactions(TEXT, "id", "date", datetime_format="%Y%m%d", freq="W"),
    )
    assert LOG["date"].dtype == np.int64  # the caller's frame is untouched


def test_cdnow_integer_dates_track_cumulative_transactions():
    cdnow = load_dataset("CDNOW_sample.txt", header=None, sep=r"\s+")
    cdnow.columns = ["id_total", "id", "date", "n", "value"]
    kw = dict(datetime_format="%Y%m%d", observation_period_end="19970930")
    summary = utils.summary_data_from_transaction_data(cdnow, "id", "date", **kw)
    bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    as_text = cdnow.assign(date=cdnow["date"].astype(str))
    a = utils.expected_cumulative_transactions(bgf, cdnow, "date", "id", 14, "%Y%m%d")
    b = utils.expected_cumulative_transactions(bgf, as_text, "date", "id", 14, "%Y%m%d")
    pd.testing.assert_frame_equal(a, b)
    # BTYD walkthrough (CRAN), first 14 days: actual cumulative repeat transactions.
    assert a["actual"].iloc[-4:].tolist() == [11, 12, 15, 19]


def test_empty_holdout_uses_lifetimes_sentence_and_clmkit_detail():
    with pytest.raises(ValueError, match="There is no data available") as info:
        utils.calibration_and_holdout_data(
            TEXT, "id", "date", "2014-02-01", observation_period_end="2014-02-07"
        )
    # clmkit's detail follows lifetimes' sentence: here the calibration period is empty too
    detail = str(info.value).split("There is no data available")[1]
    assert "calibration_period_end" in detail and "no transaction" in detail
    with pytest.raises(ValueError, match="There is no data available"):
        utils.calibration_and_holdout_data(
            TEXT, "id", "date", "2015-02-06", observation_period_end="2015-02-07"
        )


def test_fit_errors_start_with_lifetimes_sentence_and_name_the_row():
    with pytest.raises(ValueError, match="non-zero recency values when frequency is zero") as info:
        BetaGeoFitter().fit(pd.Series([0, 1], index=["a", "b"]), [2.0, 1.0], [5.0, 5.0])
    assert info.value.arg == "recency" and "row 0" in str(info.value)
    with pytest.raises(ValueError, match="larger than T"):
        BetaGeoFitter().fit([1, 1], [6.0, 1.0], [5.0, 5.0])
    with pytest.raises(ValueError, match="non-positive"):
        GammaGammaFitter().fit([1, 2], [10.0, -1.0])


def test_bgbb_table_6_and_weights_equal_repeated_rows():
    d = load_donations()
    bb = BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"], d["weights"])
    alive = bb.conditional_probability_alive(1, d["frequency"], d["recency"], d["periods"])
    cells = {(0, 0): 0.11, (2, 4): 0.59, (6, 6): 0.93}  # Fader, Hardie & Shang (2010), Table 6
    for (x, tx), want in cells.items():
        row = (d["frequency"] == x) & (d["recency"] == tx)
        assert abs(float(alive[row].iloc[0]) - want) < 0.005
    repeated = d.loc[d.index.repeat(d["weights"])]
    plain = BetaGeoBetaBinomFitter().fit(
        repeated["frequency"], repeated["recency"], repeated["periods"]
    )
    np.testing.assert_allclose(plain.params_, bb.params_, rtol=1e-6)
