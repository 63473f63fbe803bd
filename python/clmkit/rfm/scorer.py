"""RFMScorer: RFM edges fitted once on a reference table and re-applied to later ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal, Optional, Union, overload

import numpy as np

from .. import _core
from .._estimator import Estimator, JsonValue, float_list
from .._io import Output, deliver
from .._keyed import CallerFrame
from .._typing import NumpyTable
from .spec import DIMENSIONS, FloatArray, ScoreArray, ScoreSpec, assemble_scores, edges_array

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from .._typing import PolarsFrame

__all__ = ["RFMScorer"]


class RFMScorer(Estimator):
    """RFM scores with edges fitted once and re-applied to new data.

    ``fit`` computes the quantile edges of each dimension on a reference table (or takes
    fixed ``edges``); ``transform`` scores any table with those edges, so scores of later
    snapshots stay comparable with the reference. Values beyond the fitted range take the
    lowest or highest score. ``method="rank"`` is not available: rank groups depend on the
    row order of the scored table itself and cannot be re-applied.

    The scorer is a clmkit estimator: ``get_params`` / ``set_params`` (so
    :func:`sklearn.base.clone` works), :class:`clmkit.NotFittedError` before ``fit``,
    ``to_json`` / ``from_json`` (a versioned document whose edges are checked on loading)
    and pickling.

    Parameters
    ----------
    bins, method, recency_col, frequency_col, monetary_col, weights, edges, recency_ascending
        As in :func:`clmkit.rfm_scores` (``method`` is ``"quantile"`` or ``"fixed"``).

    Attributes
    ----------
    edges_ : dict of str to numpy.ndarray
        Inner edges per dimension (``"recency"``, ``"frequency"``, ``"monetary"``), in the
        units of the scored columns.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> summary = clmkit.summarize(log, "customer_id", "date", monetary_value_col="amount")
    >>> scorer = clmkit.RFMScorer(bins=5).fit(summary)
    >>> scorer.edges_["frequency"].tolist()
    [0.0, 0.0, 1.0, 3.0]
    >>> again = clmkit.RFMScorer.from_json(scorer.to_json())
    >>> bool((again.transform(summary) == scorer.transform(summary)).all().all())
    True
    """

    edges_: dict[str, FloatArray]

    def __init__(
        self,
        bins: int = 5,
        method: str = "quantile",
        recency_col: str = "inactivity",
        frequency_col: str = "frequency",
        monetary_col: Optional[str] = "monetary_value",
        weights: Sequence[float] = (1, 1, 1),
        edges: Optional[Mapping[str, Sequence[float]]] = None,
        recency_ascending: bool = False,
    ) -> None:
        self.bins = bins
        self.method = method
        self.recency_col = recency_col
        self.frequency_col = frequency_col
        self.monetary_col = monetary_col
        self.weights = weights
        self.edges = edges
        self.recency_ascending = recency_ascending

    def _spec(self) -> ScoreSpec:
        spec = ScoreSpec.build(
            self.bins,
            self.method,
            self.recency_col,
            self.frequency_col,
            self.monetary_col,
            self.weights,
            self.recency_ascending,
        )
        if spec.method == "rank":
            raise ValueError(
                "RFMScorer supports method='quantile' or 'fixed': rank groups "
                "depend on the scored table's row order and cannot be re-applied; "
                "use rfm_scores(..., method='rank') for one table"
            )
        return spec

    def fit(self, table: object, customer_id_col: Optional[str] = None) -> RFMScorer:
        """Compute (``"quantile"``) or check (``"fixed"``) the edges of each dimension.

        Raises
        ------
        ValueError
            As :func:`rfm_scores`; also an empty table with ``method="quantile"``, and
            ``edges`` given with ``"quantile"`` or missing/unknown dimensions with ``"fixed"``.
        """
        spec = self._spec()
        if spec.method == "fixed":
            edges = self._fixed_edges(spec)
        else:
            if self.edges is not None:
                raise ValueError("edges are only used with method='fixed', not method='quantile'")
            _, values, _ = spec.read(table, customer_id_col)
            if len(next(iter(values.values()))) == 0:
                raise ValueError("cannot fit quantile edges on an empty table")
            edges = {name: _core.rfm_quantile_edges(v, spec.bins) for name, v in values.items()}
        _check_state(spec, edges)  # the Rust state validates the edges, naming the dimension
        self.edges_ = edges
        return self

    def _fixed_edges(self, spec: ScoreSpec) -> dict[str, FloatArray]:
        if not isinstance(self.edges, Mapping):
            raise TypeError(
                "method='fixed' needs edges={'recency': [...], 'frequency': [...], "
                f"'monetary': [...]}}, got {type(self.edges).__name__}"
            )
        unknown = set(self.edges) - set(DIMENSIONS)
        missing = [name for name in spec.columns if name not in self.edges]
        if unknown or missing:
            raise ValueError(
                f"edges must have keys {list(spec.columns)}; missing {missing}, "
                f"unknown {sorted(unknown)}"
            )
        return {
            name: edges_array(self.edges[name], f"edges[{name!r}]", spec.bins)
            for name in spec.columns
        }

    @overload
    def transform(
        self,
        table: pd.DataFrame,
        output: Optional[Literal["pandas"]] = ...,
        customer_id_col: Optional[str] = ...,
    ) -> pd.DataFrame: ...

    @overload
    def transform(
        self,
        table: PolarsFrame,
        output: Optional[Literal["polars"]] = ...,
        customer_id_col: Optional[str] = ...,
    ) -> pl.DataFrame: ...

    @overload
    def transform(
        self,
        table: object,
        *,
        output: Literal["pandas"],
        customer_id_col: Optional[str] = ...,
    ) -> pd.DataFrame: ...

    @overload
    def transform(
        self,
        table: object,
        *,
        output: Literal["polars"],
        customer_id_col: Optional[str] = ...,
    ) -> pl.DataFrame: ...

    @overload
    def transform(
        self,
        table: object,
        *,
        output: Literal["numpy"],
        customer_id_col: Optional[str] = ...,
    ) -> NumpyTable: ...

    @overload
    def transform(
        self,
        table: object,
        output: Optional[Output] = ...,
        customer_id_col: Optional[str] = ...,
    ) -> CallerFrame: ...

    def transform(
        self,
        table: object,
        output: Optional[Output] = None,
        customer_id_col: Optional[str] = None,
    ) -> CallerFrame:
        """Score ``table`` with the fitted edges; output as :func:`clmkit.rfm_scores`.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        """
        self._check_fitted()
        spec = self._spec()
        index, values, library = spec.read(table, customer_id_col)
        scores: dict[str, ScoreArray] = {
            name: _core.rfm_score_edges(v, self.edges_[name], spec.ascending[name])
            for name, v in values.items()
        }
        return deliver(assemble_scores(index, scores, spec), library, output)

    @overload
    def fit_transform(
        self,
        table: pd.DataFrame,
        customer_id_col: Optional[str] = ...,
    ) -> pd.DataFrame: ...

    @overload
    def fit_transform(
        self,
        table: PolarsFrame,
        customer_id_col: Optional[str] = ...,
    ) -> pl.DataFrame: ...

    @overload
    def fit_transform(
        self,
        table: object,
        customer_id_col: Optional[str] = ...,
    ) -> CallerFrame: ...

    def fit_transform(self, table: object, customer_id_col: Optional[str] = None) -> CallerFrame:
        """``fit(table).transform(table)``."""
        return self.fit(table, customer_id_col).transform(table, customer_id_col=customer_id_col)

    def _check_edges(self) -> None:
        """Validates ``edges_`` set from outside ``fit`` (e.g. by clmkit.dask), naming the
        dimension of bad edges."""
        _check_state(self._spec(), self.edges_)

    # ------------------------------------------------------------ persistence (Estimator)
    def _fitted_state(self) -> dict[str, JsonValue]:
        edges: dict[str, JsonValue] = {
            name: [float(e) for e in v] for name, v in self.edges_.items()
        }
        return {"edges": edges}

    def _restore(self, state: Mapping[str, JsonValue]) -> None:
        raw = state.get("edges")
        if not isinstance(raw, dict):
            raise ValueError("model JSON: field 'edges' must be an object")
        spec = self._spec()
        if set(raw) != set(spec.columns):
            raise ValueError(
                f"model JSON: field 'edges' must have keys {list(spec.columns)}, got {sorted(raw)}"
            )
        edges = {name: np.asarray(float_list(raw, name), dtype=np.float64) for name in spec.columns}
        _check_state(spec, edges)
        self.edges_ = edges

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> RFMScorer:
        """A fitted scorer from :meth:`to_json` output, after checking it.

        Documents written by clmkit before the shared estimator format (``"format":
        "clmkit.RFMScorer"``) are still read.

        Raises
        ------
        ValueError
            A malformed document, naming the field (e.g. edges that decrease).
        """
        if isinstance(text, str) and '"clmkit_format"' not in text and "clmkit.RFMScorer" in text:
            return _from_legacy_json(text)
        return super().from_json(text)


def _check_state(spec: ScoreSpec, edges: Mapping[str, FloatArray]) -> None:
    dims = [
        _core.RfmDimension(
            name, spec.columns[name], spec.ascending[name], [float(e) for e in edges[name]]
        )
        for name in spec.columns
    ]
    _core.rfm_scorer_to_json(spec.bins, spec.method, list(spec.weights), dims)


def _from_legacy_json(text: str) -> RFMScorer:
    """A scorer saved in the format of clmkit <= 0.x (a Rust-validated document)."""
    state = _core.rfm_scorer_from_json(text)
    dims = {d.name: d for d in state.dimensions}
    if list(dims)[:2] != ["recency", "frequency"] or set(dims) - set(DIMENSIONS):
        raise ValueError(f"scorer JSON must hold recency, frequency[, monetary], got {list(dims)}")
    scorer = RFMScorer(
        bins=state.bins,
        method=state.method,
        recency_col=dims["recency"].column,
        frequency_col=dims["frequency"].column,
        monetary_col=dims["monetary"].column if "monetary" in dims else None,
        weights=tuple(state.weights),
        recency_ascending=dims["recency"].ascending,
    )
    if scorer.method == "fixed":
        scorer.edges = {name: list(d.edges) for name, d in dims.items()}
    scorer.edges_ = {name: np.asarray(d.edges, dtype=np.float64) for name, d in dims.items()}
    return scorer
