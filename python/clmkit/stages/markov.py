"""Markov dynamics of lifecycle stages: transition matrices, projections, steady state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._io import is_table, to_pandas
from .._validation import as_float_array, check_int

__all__ = ["transition_matrix", "forecast_stages", "steady_state"]

MatrixLike = Union[pd.DataFrame, np.ndarray]
_TOL = 1e-8


def history_frame(history: object) -> pd.DataFrame:
    """A stage history of any library (pandas, polars, Arrow) as pandas, through the table door."""
    if not is_table(history):
        raise TypeError(
            f"history must be a DataFrame from stage_history, got {type(history).__name__}"
        )
    return to_pandas(history)


def history_columns(history: pd.DataFrame) -> tuple[str, str, str]:
    """(customer, snapshot, stage) column names of a (pandas) stage history."""
    cust = history.attrs.get("clmkit", {}).get("customer_id_col", history.columns[0])
    for col in (cust, "snapshot", "stage"):
        if col not in history.columns:
            raise ValueError(
                f"history has no column {col!r}; available columns: "
                f"{list(history.columns)} (expected stage_history's output)"
            )
    return cust, "snapshot", "stage"


def by_customer_and_snapshot(history: pd.DataFrame, cust: str, snap: str) -> pd.DataFrame:
    """The history sorted by (customer, snapshot), stable; as it is when already so sorted.

    :func:`stage_history` writes its rows in this order, and a stable two-key sort of a
    million customers x six snapshots costs seconds, so one linear pass checks first.
    """
    c, s = history[cust].to_numpy(), history[snap].to_numpy()
    if len(c) < 2:
        return history
    try:
        with np.errstate(invalid="ignore"):
            in_order = bool(np.all((c[1:] > c[:-1]) | ((c[1:] == c[:-1]) & (s[1:] > s[:-1]))))
    except TypeError:  # ids of mixed types: pandas sorts (and raises) as before
        in_order = False
    if in_order:
        return history
    out: pd.DataFrame = history.sort_values([cust, snap], kind="stable")
    return out


def transition_matrix(history: pd.DataFrame, normalize: bool = True) -> pd.DataFrame:
    """Stage-to-stage transitions between consecutive snapshots.

    A transition is counted for every customer present at two consecutive snapshots of
    the history (unassigned stages are skipped). States are the stages that occur in the
    history, in stage order.

    Parameters
    ----------
    history : DataFrame
        Output of :func:`stage_history` (pandas, polars or Arrow).
    normalize : bool
        Row-stochastic probabilities ``P[i, j] = n_ij / sum_j n_ij`` (True) or counts.
        A stage never left (no transition out of it) gets the identity row: a
        projection keeps its customers where they are.

    Returns
    -------
    pandas.DataFrame
        Square table, index ``from`` and columns ``to`` (pandas whatever the input's library:
        a matrix, as :func:`forecast_stages` and :func:`steady_state` take it).

    Examples
    --------
    >>> import numpy as np, clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> h = clmkit.stage_history(log, ["1997-06-30", "1997-09-30"], "customer_id", "date")
    >>> P = clmkit.transition_matrix(h)
    >>> bool(np.allclose(P.sum(axis=1), 1.0))
    True
    """
    history = history_frame(history)
    cust, snap, stage_col = history_columns(history)
    h = by_customer_and_snapshot(history, cust, snap)
    column = h[stage_col]
    stage = (
        column.array if isinstance(column.dtype, pd.CategoricalDtype) else pd.Categorical(column)
    )
    raw = stage.codes  # int8 for a few stages: no int64 copies of millions of rows
    used = np.bincount(raw[raw >= 0], minlength=len(stage.categories)) > 0
    present = list(stage.categories[used])
    # category code -> state index; the last entry maps code -1 (missing) to -1
    lut = np.r_[np.cumsum(used) - 1, -1].astype(np.int32)
    codes = lut[raw]
    snap_pos = np.searchsorted(np.sort(h[snap].unique()), h[snap].to_numpy())
    ids = h[cust].to_numpy()  # rows of a customer are contiguous: compare neighbours
    pair = (
        (ids[1:] == ids[:-1])
        & (snap_pos[1:] == snap_pos[:-1] + 1)
        & (codes[1:] >= 0)
        & (codes[:-1] >= 0)
    )
    k = len(present)
    counts = np.bincount(codes[:-1][pair] * k + codes[1:][pair], minlength=k * k)
    counts = counts.reshape(k, k).astype(float)
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        counts = np.divide(counts, totals, out=np.eye(k), where=totals > 0)
    result: pd.DataFrame = pd.DataFrame(
        counts, index=pd.Index(present, name="from"), columns=pd.Index(present, name="to")
    )
    return result


def _stochastic(matrix: MatrixLike) -> tuple[np.ndarray, pd.Index]:
    if isinstance(matrix, pd.DataFrame):
        if list(matrix.index) != list(matrix.columns):
            raise ValueError(
                "matrix: index and columns must list the same states in the same order"
            )
        labels = pd.Index(matrix.index)
    else:
        labels = None
    p = as_float_array(matrix, "matrix", ndim=2)
    if p.shape[0] != p.shape[1] or p.shape[0] == 0:
        raise ValueError(f"matrix must be square and non-empty, got shape {p.shape}")
    if (p < 0).any():
        i, j = np.argwhere(p < 0)[0]
        raise ValueError(f"matrix: entry ({i}, {j}) = {p[i, j]} is negative (not stochastic)")
    rows = p.sum(axis=1)
    bad = np.abs(rows - 1.0) > _TOL
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"matrix: row {i} sums to {rows[i]!r}, not 1 (not stochastic; "
            "use transition_matrix(..., normalize=True))"
        )
    return p, labels if labels is not None else pd.RangeIndex(p.shape[0])


def forecast_stages(
    matrix: MatrixLike,
    current_counts: Union[pd.Series[float], Mapping[str, float], npt.ArrayLike],
    steps: int,
) -> pd.DataFrame:
    """Project stage counts forward with a Markov chain: ``x_{k+1} = x_k P``.

    Parameters
    ----------
    matrix : DataFrame or 2-D array
        Row-stochastic transition matrix (e.g. :func:`transition_matrix`).
    current_counts : Series, mapping or 1-D array
        Customers per state now; a Series / mapping is aligned on the matrix's states
        (missing states count 0; unknown states must count 0), e.g. ``history[history.snapshot == last].stage.value_counts()``.
    steps : int
        Number of snapshot intervals to project (>= 0).

    Returns
    -------
    pandas.DataFrame
        Rows ``step`` 0..steps (row 0 = ``current_counts``), columns the states.

    Raises
    ------
    ValueError
        Matrix not square / not stochastic, counts negative or of the wrong length, or
        labels unknown to the matrix.

    Examples
    --------
    >>> import numpy as np, clmkit
    >>> P = np.array([[0.9, 0.1], [0.5, 0.5]])
    >>> clmkit.forecast_stages(P, [100, 0], 2).round(1).iloc[2].tolist()
    [86.0, 14.0]
    """
    p, labels = _stochastic(matrix)
    steps = check_int(steps, "steps", low=0)
    if isinstance(current_counts, (pd.Series, dict)):
        s = (
            pd.Series(current_counts, dtype=float)
            if isinstance(current_counts, dict)
            else current_counts.astype(float)
        )
        unknown = [k for k, v in s.items() if k not in labels and v != 0]
        if unknown:
            raise ValueError(
                f"current_counts: unknown state(s) {unknown}; states are {list(labels)}"
            )
        s = s.reindex(labels, fill_value=0.0)
        x = as_float_array(s.to_numpy(), "current_counts", nonnegative=True)
    else:
        x = as_float_array(current_counts, "current_counts", nonnegative=True)
        if len(x) != len(p):
            raise ValueError(
                f"current_counts has {len(x)} values but the matrix has {len(p)} states"
            )
    out = np.empty((steps + 1, len(p)))
    out[0] = x
    for k in range(steps):
        out[k + 1] = out[k] @ p
    result: pd.DataFrame = pd.DataFrame(
        out, index=pd.RangeIndex(steps + 1, name="step"), columns=pd.Index(labels, name="stage")
    )
    return result


def steady_state(matrix: MatrixLike) -> pd.Series:
    """Stationary distribution ``pi = pi P``, ``sum(pi) = 1`` of a Markov chain.

    Solved as the least-squares solution of ``[P^T - I; 1^T] pi = [0; 1]``, which is exact
    and unique exactly when that stacked matrix has full column rank (one closed class).

    Raises
    ------
    ValueError
        Matrix not square / not stochastic, or a stationary distribution that is not
        unique (several closed classes, e.g. two absorbing stages).

    Examples
    --------
    >>> import numpy as np, clmkit
    >>> clmkit.steady_state(np.array([[0.9, 0.1], [0.5, 0.5]])).round(4).tolist()
    [0.8333, 0.1667]
    """
    p, labels = _stochastic(matrix)
    k = len(p)
    a = np.vstack([p.T - np.eye(k), np.ones((1, k))])
    b = np.r_[np.zeros(k), 1.0]
    if np.linalg.matrix_rank(a, tol=1e-10) < k:
        raise ValueError(
            "steady_state: the stationary distribution is not unique (the chain "
            "has several closed classes); project from your current counts "
            "with forecast_stages instead"
        )
    pi = np.linalg.lstsq(a, b, rcond=None)[0]
    pi = np.clip(pi, 0.0, None)
    result: pd.Series = pd.Series(pi / pi.sum(), index=labels, name="steady_state")
    return result
