"""Time-invariant covariates of the BTYD and spend models (the Python side).

Covariates come as column names of the summary table, as a 2-D array (columns ``x0``,
``x1``, ...) or as a DataFrame of covariates (its columns are the names). They are gathered
into one matrix (the union of the processes' columns), checked, and passed to the Rust engine
(``src/btyd/covariates``), which fits base parameters and coefficients together and predicts
with each customer's own parameters. Links (Fader & Hardie 2007, as pymc-marketing):
purchase alpha_i = alpha exp(-g'z); Pareto/NBD dropout beta_i = beta exp(-g'z); BG/NBD and
MBG/NBD dropout a_i = a exp(g_a'z), b_i = b exp(g_b'z); BG/BB's four parameters exp(g'z);
Gamma-Gamma's scale v_i = v exp(g'z).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

import narwhals.stable.v1 as nw
import numpy as np
import pandas as pd

from .. import _core
from .._io import is_table as _is_table
from .._io import read
from .._io._read import native
from .._validation import as_float_array
from ..exceptions import ConvergenceError, InvalidValueError, with_row_label
from ..summary.units import TimeUnit

if TYPE_CHECKING:
    from ._base import BTYDFitter

__all__ = ["Covariates", "collect", "for_prediction", "set_state", "PROCESSES"]

PROCESSES = ("purchase", "dropout", "spend")
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Covariates:
    """The covariate matrix of a fit: ``z`` (rows x ``names``) and each process's columns."""

    z: np.ndarray
    names: list[str]
    processes: dict[str, list[str]]

    def take(self, keep: np.ndarray) -> Covariates:
        """The rows where ``keep`` is True (Gamma-Gamma fits repeat buyers only)."""
        return Covariates(np.ascontiguousarray(self.z[keep]), self.names, self.processes)


def _columns_of(data: Any, value: Any, arg: str, n: int) -> tuple[list[str], list[np.ndarray]]:
    """Names and float columns of one process's covariates."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        if not _is_table(data):
            raise TypeError(
                f"{arg} names columns {list(value)}, but the data are arrays: pass a 2-D array "
                "or a DataFrame of covariates instead"
            )
        table = read(data, {f"{arg} {c!r}": c for c in value})
        return list(value), [_finite(table.values(c, arg), c) for c in value]
    if isinstance(value, pd.DataFrame):
        names = [str(c) for c in value.columns]
        return names, [_finite(value[c], str(c)) for c in value.columns]
    if _is_table(value):
        names = _available(value)
        table = read(value, {c: c for c in names})
        return names, [_finite(table.values(c, c), c) for c in names]
    arr = np.asarray(value)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValueError(f"{arg} must be a 2-D array (customers x covariates), got {arr.ndim}-D")
    names = [f"x{j}" for j in range(arr.shape[1])]
    return names, [_finite(arr[:, j], names[j]) for j in range(arr.shape[1])]


def _available(table: Any) -> list[str]:
    """Column names of a table of any supported library (without reading the data)."""
    frame = nw.from_native(native(table), eager_or_interchange_only=False)
    if isinstance(frame, nw.LazyFrame):
        return [str(c) for c in frame.collect_schema().names()]
    return [str(c) for c in frame.columns]


def _finite(values: Any, name: str) -> np.ndarray:
    """A covariate column as float64; a missing or infinite value is refused, naming the
    column and the row (its label for pandas input)."""
    return np.asarray(as_float_array(values, name, finite=True), dtype=float)


def collect(data: Any, given: Mapping[str, Any], n: int) -> Optional[Covariates]:
    """The covariates of a fit from the ``<process>_covariates`` arguments (None: none)."""
    columns: dict[str, np.ndarray] = {}
    processes: dict[str, list[str]] = {}
    for process, value in given.items():
        if value is None:
            continue
        arg = f"{process}_covariates"
        names, cols = _columns_of(data, value, arg, n)
        for name, col in zip(names, cols):
            if len(col) != n:
                raise ValueError(f"{arg} {name!r} has {len(col)} rows but the data have {n}")
            if name in columns and not np.array_equal(columns[name], col):
                raise ValueError(
                    f"covariate {name!r} is given twice with different values; give the "
                    "processes' covariates distinct names (e.g. DataFrames with named columns)"
                )
            columns[name] = col
        processes[process] = names
    if not processes:
        return None
    names = list(columns)
    z = np.ascontiguousarray(np.column_stack([columns[c] for c in names]), dtype=float)
    return Covariates(z, names, processes)


def penalizers(value: Any) -> tuple[float, float, float]:
    """(purchase, dropout, spend) L2 penalties from ``covariate_penalizer``."""
    if isinstance(value, Mapping):
        unknown = sorted(set(map(str, value)) - set(PROCESSES))
        if unknown:
            raise ValueError(
                f"covariate_penalizer has unknown keys {unknown}; use {list(PROCESSES)}"
            )
        values = [value.get(p, 0.0) for p in PROCESSES]
    else:
        values = [value] * 3
    out = []
    for p, v in zip(PROCESSES, values):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"covariate_penalizer[{p!r}] must be a finite number >= 0, got {v!r}")
        out.append(float(v))
    return out[0], out[1], out[2]


def core_fit(
    model: BTYDFitter,
    arrays: list[np.ndarray],
    weights: Optional[np.ndarray],
    options: tuple[float, Optional[list[float]], float, int],
    unit: Optional[tuple[str, float]],
    cov: Covariates,
    index: Optional[pd.Index] = None,
) -> Any:
    """Runs the Rust covariate fit; a bad covariate row is named by its label."""
    constrained = model.constrain_covariates
    if isinstance(constrained, str):
        constrained = [constrained]
    penalizer, initial, tol, max_iter = options

    def run(limit: int, start: Optional[list[float]] = initial) -> _core.BtydCovariateFit:
        return _core.btyd_covariate_fit(
            model._model_kind,
            arrays,
            weights,
            cov.z,
            cov.names,
            cov.processes.get("purchase", []),
            cov.processes.get("dropout", []),
            cov.processes.get("spend", []),
            [str(c) for c in constrained],
            penalizers(model.covariate_penalizer),
            penalizer,
            start,
            tol,
            limit,
            unit,
        )

    try:
        ridge = (
            _plain_on_boundary(model, arrays, weights, options)
            if max_iter > BOUNDARY_ITER
            else None
        )
        if ridge is not None:
            # The data show no heterogeneity along some parameter, so the covariate fit has
            # only the plain fit's ridge to walk: its optimiser would spend max_iter steps
            # on it without moving. Started where the plain fit ended, a few steps reach the
            # same point and the core's boundary warning; a fit that converges inside after
            # all is rerun in full.
            try:
                state = run(BOUNDARY_ITER, initial or ridge)
            except ConvergenceError:
                state = None
            if state is not None and (state.converged or _says_boundary(state)):
                return state
        return run(max_iter)
    except InvalidValueError as err:
        raise with_row_label(err, index) from None


#: Iterations a covariate fit gets when the plain fit of its data lies on the boundary.
BOUNDARY_ITER = 25
#: As ``diagnose::BOUNDARY_LOG``: a rescaled parameter beyond e^+-9 heads to 0 or infinity.
_BOUNDARY_LOG = 9.0
#: Largest data (rows) whose plain fit is probed for the boundary first. Ridges come with
#: small or degenerate data, and there the probe costs milliseconds; on large data it would
#: repeat the core's own covariate-free start (a noticeable share of a fast fit), so it is
#: skipped there.
_PROBE_ROWS = 50_000


def _says_boundary(state: _core.BtydFit | _core.BtydCovariateFit) -> bool:
    return any("boundary" in str(w) for w in state.warnings)


def _plain_on_boundary(
    model: BTYDFitter,
    arrays: list[np.ndarray],
    weights: Optional[np.ndarray],
    options: tuple[float, Optional[list[float]], float, int],
) -> Optional[list[float]]:
    """The parameters of the covariate-free fit of the data (up to 50,000 rows; None for
    larger data) when it ends on the boundary of the parameter space: a rescaled parameter
    beyond e^+-9 (the core's rule, also for Gamma-Gamma whose plain fit does not report it),
    or a boundary warning. Else None."""
    penalizer, initial, tol, max_iter = options
    if len(arrays[0]) > _PROBE_ROWS:
        return None
    try:
        plain = _core.btyd_fit(
            model._model_kind, arrays, weights, penalizer, initial, tol, max_iter, None
        )
    except (ValueError, ConvergenceError):
        return None
    params = [float(v) for v in plain.params]
    powers = np.asarray(_core.btyd_model_layout(model._model_kind)[4], dtype=float)
    scaled = np.log(np.asarray(params) / float(plain.time_scale) ** powers)
    on_boundary = _says_boundary(plain) or bool(np.any(np.abs(scaled) > _BOUNDARY_LOG))
    return params if on_boundary else None


def for_prediction(model: BTYDFitter, data: Any, covariates: Any, n: Optional[int]) -> np.ndarray:
    """The covariate matrix (rows x fitted columns) of a prediction: ``covariates`` when
    given (table, DataFrame or 2-D array), else the fitted columns of the table ``data``."""
    names = list(model._state.covariates[0])
    source = covariates if covariates is not None else data
    if covariates is None and not _is_table(data):
        raise ValueError(
            f"this model was fitted with covariates {names}: pass covariates= (a table or a "
            "2-D array with these columns), or a summary table holding them"
        )
    if _is_table(source):
        available = _available(source)
        missing = [c for c in names if c not in available]
        if missing:
            raise ValueError(
                f"covariates {missing} of the fit are missing (available columns: {available})"
            )
        table = read(source, {c: c for c in names})
        cols = [_finite(table.values(c, c), c) for c in names]
        z = np.column_stack(cols) if cols else np.zeros((len(table), 0))
    else:
        z = np.asarray(source, dtype=float)
        if z.ndim == 1:
            z = z.reshape(1, -1) if len(names) > 1 or n == 1 else z.reshape(-1, 1)
        if z.ndim != 2 or z.shape[1] != len(names):
            raise ValueError(
                f"covariates must have the {len(names)} fitted columns {names}, got shape {z.shape}"
            )
        for j, c in enumerate(names):
            _finite(z[:, j], c)
    if n is not None and len(z) != n:
        raise ValueError(f"covariates have {len(z)} rows but the data have {n}")
    return np.ascontiguousarray(z, dtype=float)


def predict(
    model: BTYDFitter,
    quantity: str,
    args: Sequence[float],
    data: Any,
    rest: Sequence[Any],
    covariates: Any,
    name: str,
) -> Any:
    """``quantity`` per customer of a covariate fit, with the data given as to ``fit``."""
    cols, _, _ = model._columns(data, rest, model._data_names)
    arrays = model._validate(cols)
    z = for_prediction(model, data, covariates, len(arrays[0]))
    try:
        out = model._state.predict(quantity, [float(a) for a in args], arrays, z)
    except InvalidValueError as err:
        raise with_row_label(err, getattr(cols[0], "index", None)) from None
    return model._output(out, cols[0], name)


def predict_new(model: BTYDFitter, quantity: str, t: Any, n: Any, covariates: Any) -> Any:
    """A new customer's ``quantity`` at horizons ``t`` (and counts ``n``) for each covariate
    row; ``t``, ``n`` and the rows broadcast against each other."""
    if covariates is None:
        raise ValueError(
            f"this model was fitted with covariates {list(model._state.covariates[0])}: pass "
            "covariates= (the new customers' values) for new-customer predictions"
        )
    z = for_prediction(model, None, covariates, None)
    t_arr = as_float_array(t, "t", nonnegative=True)
    n_arr = as_float_array(0.0 if n is None else n, "n", nonnegative=True, integer=True)
    rows = np.arange(len(z), dtype=float)
    t_b, n_b, r_b = np.broadcast_arrays(t_arr, n_arr, rows)
    out = np.empty(t_b.shape, dtype=float)
    flat_t, flat_n, flat_r = t_b.ravel(), n_b.ravel(), r_b.ravel().astype(np.intp)
    result = out.reshape(-1)
    # One kernel call per distinct (t, n): horizons are few, covariate rows many.
    pairs = np.stack([flat_t, flat_n], axis=1)
    for tv, nv in np.unique(pairs, axis=0):
        where = (flat_t == tv) & (flat_n == nv)
        zz = np.ascontiguousarray(z[flat_r[where]])
        result[where] = model._state.predict(quantity, [float(tv), float(nv)], [], zz)
    if out.size == 1 and np.ndim(t) == 0 and len(z) == 1:
        return float(out[0])
    return out


def set_state(model: BTYDFitter, state: Any) -> None:
    """The fitted attributes of a covariate fit (base parameters as for a plain fit)."""
    names = list(state.param_names)
    k = len(names)
    se = np.asarray(state.standard_errors, dtype=float)
    params = pd.Series(state.params, index=names, name="coef", dtype=float)
    rows = list(state.coefficients)
    index = pd.MultiIndex.from_tuples([(r[0], r[1]) for r in rows], names=["process", "covariate"])
    model._state = state
    model.params_ = params
    model.standard_errors_ = pd.Series(se[:k], index=names, name="se", dtype=float)
    model.coefficients_ = pd.Series([r[2] for r in rows], index=index, name="coef", dtype=float)
    model.coefficient_standard_errors_ = pd.Series(
        [r[3] for r in rows], index=index, name="se", dtype=float
    )
    free: dict[int, str] = {}
    for r in rows:
        free.setdefault(int(r[4]), f"{r[0]}:{r[1]}")
    labels = names + [free[j] for j in sorted(free)]
    dim = len(labels)
    cov = np.asarray(state.covariance, dtype=float).reshape(dim, dim)
    model.variance_matrix_ = pd.DataFrame(cov, index=labels, columns=labels)
    with np.errstate(over="ignore", invalid="ignore"):
        spread = np.exp(_Z95 * model.standard_errors_ / params)
    model.confidence_intervals_ = pd.DataFrame(
        {"lower 95%": params / spread, "upper 95%": params * spread}
    )
    model.n_iter_ = int(state.n_iter)
    model.converged_ = bool(state.converged)
    model.n_customers_ = float(state.n_customers)
    model.n_params_ = dim
    ll, n = float(state.log_likelihood), model.n_customers_
    model.log_likelihood_ = ll
    model.aic_ = 2.0 * dim - 2.0 * ll
    model.bic_ = dim * math.log(n) - 2.0 * ll if n > 0 else math.nan
    model.n_patterns_ = int(state.n_patterns)
    unit = state.time_unit
    model.time_unit_ = None if unit is None else TimeUnit(unit[0], float(unit[1]))


def coefficient_rows(model: BTYDFitter) -> pd.DataFrame:
    """The summary rows of the coefficients (Wald intervals on the coefficient scale)."""
    coef = model.coefficients_
    se = model.coefficient_standard_errors_
    labels = [f"{p}:{c}" for p, c in coef.index]
    rows: pd.DataFrame = pd.DataFrame(
        {
            "coef": coef.to_numpy(),
            "se": se.to_numpy(),
            "lower 95%": (coef - _Z95 * se).to_numpy(),
            "upper 95%": (coef + _Z95 * se).to_numpy(),
        },
        index=labels,
    )
    return rows


def load(text: str) -> Any:
    """A saved state (plain or covariate) from its JSON."""
    if '"format":"clmkit.btyd_covariates"' in text.replace(" ", ""):
        return _core.BtydCovariateFit.from_json(text)
    return _core.BtydFit.from_json(text)


def hyperparameters(state: Any) -> dict[str, Any]:
    """The constructor arguments saved with a covariate fit."""
    if not isinstance(state, _core.BtydCovariateFit):
        return {}
    purchase, dropout, spend = state.covariate_penalizer
    return {
        "covariate_penalizer": {"purchase": purchase, "dropout": dropout, "spend": spend},
        "constrain_covariates": tuple(state.covariates[4]),
    }


def individual_loglik(model: BTYDFitter, data: Any, rest: Sequence[Any], covariates: Any) -> Any:
    """Log-likelihood of each customer at their own parameters (data as to ``fit``)."""
    rest = tuple(rest) or (None,) * (len(model._data_names) - 1)
    cols, _, _ = model._columns(data, rest, model._data_names)
    arrays = model._validate(cols)
    z = for_prediction(model, data, covariates, len(arrays[0]))
    try:
        out = _core.btyd_covariate_loglik(model._state, arrays, z)
    except InvalidValueError as err:
        raise with_row_label(err, getattr(cols[0], "index", None)) from None
    return model._output(out, cols[0], "log_likelihood")


def profile_params(model: BTYDFitter, covariates: Any, what: str) -> list[float]:
    """The natural parameters of one covariate profile (a single row), for the grids
    (``p_alive_matrix``, ...) that show one kind of customer over many histories."""
    names = list(model._state.covariates[0])
    if covariates is None:
        raise ValueError(
            f"this model was fitted with covariates {names}: {what} shows one kind of customer, "
            "so pass covariates= with one row of their values (a dict, a one-row table or a "
            "sequence in this order)"
        )
    if isinstance(covariates, Mapping):
        missing = [c for c in names if c not in covariates]
        if missing:
            raise ValueError(f"covariates lacks the fitted columns {missing}")
        covariates = [[covariates[c] for c in names]]
    z = for_prediction(model, None, covariates, None)
    if len(z) != 1:
        raise ValueError(f"{what} takes one covariate row, got {len(z)}")
    try:
        params = model._state.customer_params(z)
    except InvalidValueError as err:
        raise with_row_label(err, None) from None
    return [float(v) for v in np.asarray(params)[0]]
