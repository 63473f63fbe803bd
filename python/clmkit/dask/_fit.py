"""clmkit.dask.fit: BTYD and Gamma-Gamma models fitted on a distributed customer summary.

Pattern path (default): every partition reduces its validated rows to a table of distinct
data rows (frequency, recency, T or frequency, monetary value) with counts; Dask combines the
tables in a tree and the model is fitted in memory on the combined table with the counts as
weights. The fit compresses rows into the same sorted patterns with the same integer weights
as an in-memory fit of all rows, so the result is bit for bit the in-memory one.

Likelihood path (when the combined table would exceed ``max_patterns`` rows, e.g. continuous
time on huge data): every partition compresses its validated rows to a pattern table (kept in
the cluster) and a damped Newton iteration runs on the client; each iteration is one Dask
pass in which every partition evaluates the log-likelihood and gradient (Rust hook
``btyd_loglik_grad``) at the current point and at the finite-difference points of the
Hessian. The objective is exactly the in-memory one (mean negative log-likelihood over
time-rescaled data plus the penalizer, on log-parameters). Partitions are summed in another
order than in memory, so the two fits can only agree at the optimum itself: both iterate
until the gradient is at rounding level (every in-memory fit ends with a Newton step from its
converged point, ``optimize::newton::final_step``), where the parameters agree to ~1e-13
relative.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Optional, TypedDict, TypeVar, Union, cast

import numpy as np
import pandas as pd

from .. import _core
from .._errors import ClmkitWarning
from .._validation import as_float_array, check_choice, invalid_value_error, require_columns
from ..btyd._base import BTYDFitter
from ..btyd._covariates import Covariates
from ..summary.units import time_unit_of
from ._partitions import (
    PartitionInfo,
    compute,
    dd,
    delayed,
    map_partitions,
    partition_errors,
    persist,
    require_dask_frame,
    to_delayed,
)

__all__ = ["fit", "DEFAULT_MAX_PATTERNS", "PatternStats"]

#: The model being fitted (fit returns it, fitted).
M = TypeVar("M", bound=BTYDFitter)


class PatternStats(TypedDict):
    """What the pattern pass learns about the validated rows."""

    #: Rows used by the fit.
    n: int
    #: Column maxima of the used rows (None when there are none).
    max: Optional[np.ndarray]
    #: Repeat buyers skipped for a spend <= 0.
    dropped: int
    #: The combined (data row, covariates) table with counts, when within max_patterns.
    patterns: Optional[pd.DataFrame]


DEFAULT_MAX_PATTERNS = 2_000_000
_COUNT = "__clmkit_count"
# Row status: 1 = used by the fit, 0 = not a repeat buyer (Gamma-Gamma), -1 = dropped (<= 0 spend).
_STATUS = "__clmkit_status"


def fit(
    model: M,
    summary_ddf: dd.DataFrame,
    *,
    method: str = "auto",
    max_patterns: int = DEFAULT_MAX_PATTERNS,
    drop_nonpositive: bool = False,
    purchase_covariates: Optional[Sequence[str]] = None,
    dropout_covariates: Optional[Sequence[str]] = None,
    spend_covariates: Optional[Sequence[str]] = None,
) -> M:
    """Fit a clmkit BTYD model (BetaGeo, ModifiedBetaGeo, ParetoNBD, BetaGeoBetaBinom,
    GammaGamma) on a Dask summary.

    Parameters
    ----------
    model : clmkit estimator
        An unfitted (or refitted) model; its hyperparameters are used. Fitted in place.
    summary_ddf : dask.dataframe.DataFrame
        A summary with the model's columns (``frequency``, ``recency``, ``T``; BG/BB:
        ``frequency``, ``recency``, ``n_periods``; Gamma-Gamma: ``frequency``,
        ``monetary_value``), e.g. from :func:`clmkit.dask.summarize`.
    method : {"auto", "patterns", "likelihood"}
        ``"patterns"``: combined pattern table (identical to the in-memory fit);
        ``"likelihood"``: distributed likelihood (the in-memory optimum to ~1e-13 relative);
        ``"auto"``: patterns unless the combined table exceeds ``max_patterns`` rows.
    max_patterns : int
        Largest pattern table combined on the client.
    drop_nonpositive : bool
        Gamma-Gamma only: skip repeat buyers with monetary value <= 0 (as in memory).
    purchase_covariates, dropout_covariates, spend_covariates : list of str, optional
        Time-invariant covariates: column names of ``summary_ddf``, as for the in-memory
        ``fit``. Rows are combined by (data row, covariate row) into the pattern table, the
        weighted table is fitted in memory and gives the in-memory covariate fit (the
        optimum agrees to ~1e-10 relative: only the summation order differs). On the
        likelihood path (continuous covariates on more than ``max_patterns`` customers)
        every partition evaluates the covariate log-likelihood, gradient and exact Hessian
        and a Newton iteration on the client sums them (the in-memory optimum to ~1e-8).

    Returns
    -------
    model
        The fitted model (``model`` itself), as ``model.fit(summary_ddf.compute())`` would
        give; ``n_patterns_`` is the number of rows evaluated on the likelihood path.

    Raises
    ------
    ValueError
        Missing columns (at call time), bad values (naming partition and row), a pattern
        table larger than ``max_patterns`` with ``method="patterns"``.
    clmkit.ConvergenceError
        When the likelihood path does not converge.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import clmkit, clmkit.dask
    >>> summary = clmkit.datasets.load_cdnow_summary()
    >>> bg = clmkit.dask.fit(clmkit.BetaGeo(), dd.from_pandas(summary, npartitions=4))
    >>> bool((bg.params_ == clmkit.BetaGeo().fit(summary).params_).all())
    True
    """
    summary_ddf = require_dask_frame(summary_ddf, "summary_ddf")
    check_choice(method, "method", ("auto", "patterns", "likelihood"))
    names = list(model._data_names)
    require_columns(list(summary_ddf.columns), {f"summary column {n!r}": n for n in names})
    given = {"purchase": purchase_covariates, "dropout": dropout_covariates}
    if names == ["frequency", "monetary_value"]:
        given = {"spend": spend_covariates}
    elif spend_covariates is not None:
        raise ValueError(f"spend_covariates is for GammaGamma, not {type(model).__name__}")
    processes = _covariate_processes(given)
    cov_names = list(dict.fromkeys(c for cols in processes.values() for c in cols))
    require_columns(list(summary_ddf.columns), {f"covariate {c!r}": c for c in cov_names})
    unit = time_unit_of(summary_ddf._meta)
    rows = map_partitions(
        summary_ddf[names + cov_names],
        _valid_rows,
        model=model,
        drop_nonpositive=bool(drop_nonpositive),
        cov_names=cov_names,
        meta=pd.DataFrame(
            {
                **{n: pd.Series(dtype="float64") for n in names + cov_names},
                _STATUS: pd.Series(dtype="int8"),
            }
        ),
    )
    limit = max_patterns if method != "likelihood" else 0
    stats = _pattern_pass(rows, names + cov_names, limit)
    if stats["dropped"]:
        warnings.warn(
            f"dropped {stats['dropped']} repeat buyers with monetary_value <= 0",
            ClmkitWarning,
            stacklevel=2,
        )
    if stats["patterns"] is not None:
        table = stats["patterns"]
        arrays = [
            np.require(table[n].to_numpy(dtype=np.float64), np.float64, ["C", "A"]) for n in names
        ]
        cov = None
        if cov_names:
            z = np.ascontiguousarray(table[cov_names].to_numpy(dtype=np.float64))
            cov = Covariates(z, cov_names, processes)
        return model._fit_arrays(arrays, table[_COUNT].to_numpy(dtype=np.float64), unit, cov)
    if method == "patterns":
        raise ValueError(
            f"the combined pattern table exceeds max_patterns={max_patterns}; "
            "raise max_patterns or use method='likelihood'"
        )
    if cov_names:
        from ._covariate_likelihood import fit_covariate_likelihood

        return fit_covariate_likelihood(model, persist(rows), stats, unit, cov_names, processes)
    from ._likelihood import fit_likelihood

    return fit_likelihood(model, persist(rows), stats, unit)


# --- per-partition validation ----------------------------------------------------------------


def _covariate_processes(
    given: dict[str, Optional[Union[str, Sequence[str]]]],
) -> dict[str, list[str]]:
    """Column names of each process's covariates (names only: the data are distributed)."""
    out: dict[str, list[str]] = {}
    for process, value in given.items():
        if value is None:
            continue
        cols = [value] if isinstance(value, str) else list(value)
        if not all(isinstance(c, str) for c in cols):
            raise TypeError(
                f"{process}_covariates must be column names of the Dask summary, got {value!r}"
            )
        out[process] = cols
    return out


def _valid_rows(
    part: pd.DataFrame,
    model: BTYDFitter,
    drop_nonpositive: bool,
    cov_names: Sequence[str] = (),
    partition_info: PartitionInfo = None,
) -> pd.DataFrame:
    """The partition's data columns validated as the in-memory fit validates them, with each
    row's status (Gamma-Gamma fits repeat buyers only) and the covariates (finite)."""
    names = list(model._data_names)
    with partition_errors(partition_info):
        if names == ["frequency", "monetary_value"]:
            out = _spend_rows(part, drop_nonpositive)
        else:
            arrays = model._validate([part[n] for n in names])
            # The domain rules are checked in Rust, here per partition, so a bad row is
            # reported in the partition that holds it before any pattern is built.
            _core.btyd_check_data(model._model_kind, arrays)
            out = pd.DataFrame(dict(zip(names, arrays)))
            out[_STATUS] = np.ones(len(out), dtype=np.int8)
        for c in cov_names:
            # + 0.0 folds -0.0 into 0.0 so that equal rows share a pattern.
            out[c] = as_float_array(part[c], c, finite=True) + 0.0
    return cast(pd.DataFrame, out[[*names, *cov_names, _STATUS]])


def _spend_rows(part: pd.DataFrame, drop_nonpositive: bool) -> pd.DataFrame:
    x = as_float_array(part["frequency"], "frequency", nonnegative=True, integer=True)
    m = as_float_array(part["monetary_value"], "monetary_value")
    keep = x > 0
    bad = keep & (m <= 0)
    if bad.any() and not drop_nonpositive:
        row = int(np.argmax(bad))
        raise invalid_value_error(
            "monetary_value",
            row,
            m[row].item(),
            "must be > 0 for repeat buyers; pass drop_nonpositive=True to skip them",
        )
    status = np.where(bad, -1, np.where(keep, 1, 0)).astype(np.int8)
    return cast(pd.DataFrame, pd.DataFrame({"frequency": x, "monetary_value": m, _STATUS: status}))


# --- the pattern pass ------------------------------------------------------------------------


def _pattern_pass(rows: dd.DataFrame, names: list[str], max_patterns: int) -> PatternStats:
    """One pass: row count, column maxima, dropped rows and (when it stays within
    ``max_patterns`` rows) the combined pattern table."""
    chunks = [delayed(_partition_patterns)(p, names, max_patterns) for p in to_delayed(rows)]
    # One level of merges on the workers (4 partition tables each); the merged tables come
    # to the client, which needs the combined table anyway: a deeper tree would hold the
    # largest tables (up to max_patterns rows each, times the fan-in) in one worker task.
    chunks = [
        delayed(_merge_patterns)(chunks[i : i + 4], max_patterns) for i in range(0, len(chunks), 4)
    ]
    return _merge_patterns(list(compute(*chunks)), max_patterns)


def _partition_patterns(rows: pd.DataFrame, names: list[str], max_patterns: int) -> PatternStats:
    part = rows.loc[rows[_STATUS].to_numpy() == 1, names]
    stats: PatternStats = {
        "n": len(part),
        "max": part.max().to_numpy(dtype=float) if len(part) else None,
        "dropped": int((rows[_STATUS].to_numpy() == -1).sum()),
        "patterns": None,
    }
    if max_patterns > 0:
        # + 0.0 folds -0.0 into 0.0 so that equal values share a pattern, as in the fit.
        keyed = part[names] + 0.0
        table = keyed.groupby(names, sort=False).size().rename(_COUNT).reset_index()
        stats["patterns"] = table if len(table) <= max_patterns else None
    return stats


def _merge_patterns(chunks: list[PatternStats], max_patterns: int) -> PatternStats:
    maxima = [c["max"] for c in chunks if c["max"] is not None]
    out: PatternStats = {
        "n": sum(c["n"] for c in chunks),
        "dropped": sum(c["dropped"] for c in chunks),
        "max": np.max(maxima, axis=0) if maxima else None,
        "patterns": None,
    }
    if max_patterns > 0 and all(c["patterns"] is not None for c in chunks):
        table = pd.concat([c["patterns"] for c in chunks], ignore_index=True)
        names = [c for c in table.columns if c != _COUNT]
        table = table.groupby(names, sort=False)[_COUNT].sum().reset_index()
        out["patterns"] = table if len(table) <= max_patterns else None
    return out
