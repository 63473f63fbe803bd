"""transition_matrix and early_warning skip the (customer, snapshot) sort when stage_history
already wrote its rows in that order, and give the same answer on a shuffled history."""

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.stages.markov import by_customer_and_snapshot


@pytest.fixture(scope="module")
def history():
    log = clmkit.datasets.load_cdnow_sample()
    dates = ["1997-06-30", "1997-09-30", "1997-12-31", "1998-06-30"]
    return clmkit.stage_history(log, dates, "customer_id", "date")


def test_sorted_history_is_used_as_it_is(history):
    assert by_customer_and_snapshot(history, "customer_id", "snapshot") is history


def test_shuffled_history_gives_the_same_matrix_and_warnings(history):
    shuffled = history.sample(frac=1.0, random_state=3)
    shuffled.attrs = history.attrs
    again = by_customer_and_snapshot(shuffled, "customer_id", "snapshot")
    assert again is not shuffled
    pd.testing.assert_frame_equal(again, history.loc[again.index])
    for normalize in (True, False):
        pd.testing.assert_frame_equal(
            clmkit.transition_matrix(shuffled, normalize=normalize),
            clmkit.transition_matrix(history, normalize=normalize),
        )
    value = pd.Series(np.arange(len(history["customer_id"].unique()), dtype=float))
    value.index = history["customer_id"].unique()
    pd.testing.assert_frame_equal(
        clmkit.early_warning(shuffled, value=value), clmkit.early_warning(history, value=value)
    )


def test_brute_force_transition_counts(history):
    """Counts against a plain loop over each customer's consecutive snapshots."""
    got = clmkit.transition_matrix(history, normalize=False)
    # Timestamps, as the groupby below yields (unique() gives datetime64 on pandas < 2)
    snaps = sorted(set(history["snapshot"].tolist()))
    nxt = dict(zip(snaps, snaps[1:]))
    ref = {}
    for _, g in history.groupby("customer_id"):
        by = dict(zip(g["snapshot"], g["stage"].astype(str)))
        for s, stage in by.items():
            if s in nxt and nxt[s] in by:
                ref[(stage, by[nxt[s]])] = ref.get((stage, by[nxt[s]]), 0) + 1
    for (a, b), n in ref.items():
        assert got.loc[a, b] == n
    assert got.to_numpy().sum() == sum(ref.values())


@pytest.mark.parametrize("with_gap", [False, True])
def test_previous_stage_matches_a_groupby_reference(history, with_gap):
    """previous_stage is the customer's stage at their snapshot before the latest (the row
    above in the sorted history), as a plain groupby finds it; unassigned stages (NaN) fall
    back to the last known one."""
    h = history.copy()
    h.attrs = history.attrs
    if with_gap:  # an unassigned stage right before the latest snapshot for some customers
        before = h["snapshot"] == sorted(h["snapshot"].unique())[-2]
        h.loc[before & (h["customer_id"] % 7 == 0), "stage"] = np.nan
    ew = clmkit.early_warning(h, top=None, stages=list(h["stage"].cat.categories))
    latest = h["snapshot"].max()
    prev = h[h["snapshot"] < latest].groupby("customer_id")["stage"].last()
    now = h[h["snapshot"] == latest].set_index("customer_id")["stage"]
    ref = prev.reindex(now.index).astype(object)
    moved = now.astype(object).to_numpy() != ref.to_numpy()
    expected = ref[moved]
    got = ew["previous_stage"].astype(object).sort_index()
    assert got.index.tolist() == sorted(expected.index.tolist())
    pd.testing.assert_series_equal(
        got, expected.sort_index(), check_names=False, check_index_type=False
    )
