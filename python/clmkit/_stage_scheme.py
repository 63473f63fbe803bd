"""The lifecycle stage scheme: thresholds, data-derived defaults, labels and custom rules.

Rule precedence (the first rule that fires wins; defined once, in the Rust kernel
``src/stages/assign.rs``, and repeated here for users):

1. ``prospect``    - known customer without a purchase;
2. custom rules    - stages added with ``add=``, in the order given;
3. ``churned``     - P(alive) < ``churn_p``; else inactivity > ``churn_window``;
4. ``at_risk``     - P(alive) < ``at_risk_p``; else inactivity > ``at_risk_factor`` x the
   customer's mean inter-purchase time (``median_ipt`` for single-period buyers);
5. ``reactivated`` - the gap before the last purchase exceeded ``churn_window``;
6. ``new``         - first purchase within ``new_window``, or a single-period buyer not
   yet overdue;
7. ``growing``     - repeat buyer whose tenure (T) is below ``maturity_window``;
8. ``mature``      - tenure at least ``maturity_window`` (and, by 3-4, buying on cadence).

Churn outranks risk, and both outrank reactivation: a won-back customer who goes quiet
again is reported as at risk / churned. Inactivity is ``T - recency``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

import numpy as np
import pandas as pd

from . import _core
from ._units import TimeUnit, time_unit_of, to_units

__all__ = ["StageScheme", "STAGES", "ZH_LABELS", "DEFAULT_MULTIPLES"]

STAGES, REASONS = (tuple(x) for x in _core.stage_rule_names())

#: Chinese names used in CRM practice.
ZH_LABELS = {
    "prospect": "潜在客户",
    "new": "新客户",
    "growing": "成长期",
    "mature": "成熟期",
    "at_risk": "衰退期/流失预警",
    "churned": "流失",
    "reactivated": "挽回",
}

#: Default windows as multiples of the population's median inter-purchase time.
DEFAULT_MULTIPLES = {"new_window": 1.0, "maturity_window": 3.0, "churn_window": 4.0}

Window = Union[float, str, None]
Rule = Union[str, Callable[[pd.DataFrame], Any]]


@dataclass(frozen=True)
class StageScheme:
    """Thresholds and names of the lifecycle stages (a small validated dataclass).

    Windows are in the summary's time unit, or strings such as ``"90D"`` converted with
    the unit recorded on the summary. Windows left as None are derived from the data by
    :meth:`resolve`: with ``m`` the median over repeat buyers of their mean
    inter-purchase time (``recency / (n_periods - 1)``), ``new_window = m``,
    ``maturity_window = 3 m``, ``churn_window = 4 m`` and ``median_ipt = m``.

    Parameters
    ----------
    new_window, maturity_window, churn_window : float or str, optional
        Need ``new_window <= maturity_window`` and ``new_window < churn_window``.
    at_risk_factor : float
        At risk when inactivity exceeds this many mean inter-purchase times (default 2).
    at_risk_p, churn_p : float
        P(alive) thresholds, ``0 < churn_p < at_risk_p < 1`` (defaults 0.5 and 0.1).
    median_ipt : float or str, optional
        Cadence assumed for single-period buyers (default: derived, see above).
    p_alive_for_one_time : bool
        Judge single-period buyers by P(alive) too. Off by default because BG/NBD-type
        models give every one-period buyer P(alive) = 1; they are judged by inactivity.
    labels : {"en", "zh"} or mapping
        Stage names: English keys, the Chinese CRM names, or a mapping from stage key to
        name (unlisted stages keep their key). Mapping two stages to one name merges them.
    drop : sequence of str
        Stages whose rule is skipped; their customers fall through to the next rule.
    add : sequence of (name, rule)
        Extra stages, checked right after ``prospect`` in the order given. A rule is a
        :meth:`pandas.DataFrame.eval` expression or a callable on the summary (with a
        ``p_alive`` column when one is given) returning booleans.

    Raises
    ------
    ValueError
        Thresholds out of range or inconsistent, unknown stages, duplicate names.

    Examples
    --------
    >>> import clmkit
    >>> clmkit.StageScheme(churn_window=120, labels="zh").churn_window
    120.0
    """

    new_window: Window = None
    maturity_window: Window = None
    churn_window: Window = None
    at_risk_factor: float = 2.0
    at_risk_p: float = 0.5
    churn_p: float = 0.1
    median_ipt: Window = None
    p_alive_for_one_time: bool = False
    labels: Union[str, Mapping[str, str]] = "en"
    drop: Sequence[str] = ()
    add: Sequence[tuple[str, Rule]] = ()

    def __post_init__(self) -> None:
        for name in ("new_window", "maturity_window", "churn_window", "median_ipt"):
            object.__setattr__(self, name, _check_window(getattr(self, name), name))
        for name in ("at_risk_factor", "at_risk_p", "churn_p"):
            object.__setattr__(self, name, _check_number(getattr(self, name), name))
        if self.at_risk_factor <= 0:
            raise ValueError(f"at_risk_factor must be > 0, got {self.at_risk_factor}")
        if not 0 < self.churn_p < self.at_risk_p < 1:
            raise ValueError(
                f"need 0 < churn_p < at_risk_p < 1, got churn_p={self.churn_p} "
                f"and at_risk_p={self.at_risk_p}"
            )
        self._check_windows()
        object.__setattr__(self, "drop", tuple(self.drop))
        object.__setattr__(self, "add", tuple((str(n), r) for n, r in self.add))
        unknown = [s for s in self.drop if s not in STAGES]
        if unknown:
            raise ValueError(f"drop: unknown stage(s) {unknown}; stages are {list(STAGES)}")
        added = [n for n, _ in self.add]
        if len(set(added)) < len(added) or set(added) & set(STAGES):
            raise ValueError(f"add: stage names must be new and unique, got {added}")
        for name, rule in self.add:
            if not (isinstance(rule, str) or callable(rule)):
                raise TypeError(f"add: the rule of {name!r} must be a string or a callable")
        _labels(self.labels, STAGES + tuple(added))

    def _check_windows(self) -> None:
        new, mat, churn = self.new_window, self.maturity_window, self.churn_window
        if all(isinstance(v, float) for v in (new, mat)) and new > mat:
            raise ValueError(f"windows must increase: new_window ({new}) > maturity_window ({mat})")
        if all(isinstance(v, float) for v in (new, churn)) and new >= churn:
            raise ValueError(f"windows must increase: new_window ({new}) >= churn_window ({churn})")

    @property
    def is_resolved(self) -> bool:
        """True when every window is a number (no data needed to apply the scheme)."""
        return all(
            isinstance(getattr(self, f), float)
            for f in ("new_window", "maturity_window", "churn_window", "median_ipt")
        )

    def resolve(self, summary: pd.DataFrame, unit: Optional[TimeUnit] = None) -> StageScheme:
        """Returns a copy with every window a number in the summary's time unit.

        ``unit`` defaults to the unit recorded on the summary (``attrs["clmkit"]``); it is
        needed only for windows given as strings such as ``"90D"``.

        Raises
        ------
        ValueError
            When a default is needed but the summary has no repeat buyer.
        """
        unit = unit if unit is not None else time_unit_of(summary)
        values: dict[str, float] = {}
        m = None
        for name in ("new_window", "maturity_window", "churn_window", "median_ipt"):
            v = getattr(self, name)
            if isinstance(v, str):
                values[name] = to_units(v, unit, name)
            elif v is None:
                m = _median_ipt(summary) if m is None else m
                values[name] = m * DEFAULT_MULTIPLES.get(name, 1.0)
            else:
                values[name] = v
        return dataclasses.replace(self, **values)

    # --- names ---
    def keys(self) -> tuple[str, ...]:
        """Stage keys by code: built-ins then added stages."""
        return STAGES + tuple(n for n, _ in self.add)

    def enabled(self) -> list[bool]:
        return [s not in self.drop for s in STAGES]

    def label_of(self, key: str) -> str:
        return _labels(self.labels, self.keys()).get(key, key)

    def reasons(self) -> list[str]:
        return list(REASONS) + [
            f"custom: {n}: {r if isinstance(r, str) else getattr(r, '__name__', 'rule')}"
            for n, r in self.add
        ]


def _labels(labels: Any, keys: Sequence[str]) -> dict[str, str]:
    if isinstance(labels, str):
        if labels == "en":
            return {}
        if labels == "zh":
            return dict(ZH_LABELS)
        raise ValueError(f"labels must be 'en', 'zh' or a mapping, got {labels!r}")
    if not isinstance(labels, Mapping):
        raise TypeError(f"labels must be 'en', 'zh' or a mapping, got {type(labels).__name__}")
    unknown = [k for k in labels if k not in keys]
    if unknown:
        raise ValueError(f"labels: unknown stage(s) {unknown}; stages are {list(keys)}")
    return {str(k): str(v) for k, v in labels.items()}


def _check_number(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got bool")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}") from None
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return x


def _check_window(value: Window, name: str) -> Window:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            if pd.Timedelta(value) <= pd.Timedelta(0):
                raise ValueError
        except ValueError:
            raise ValueError(
                f"{name}: {value!r} is not a positive duration such as '90D'"
            ) from None
        return value
    x = _check_number(value, name)
    if x <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return x


def _median_ipt(summary: pd.DataFrame) -> float:
    """Median over repeat buyers of recency / repeats (their mean inter-purchase time)."""
    repeats = repeats_of(summary)
    recency = summary["recency"].to_numpy(dtype=float)
    mask = repeats > 0
    if not mask.any():
        raise ValueError(
            "cannot derive default stage windows: the data have no repeat buyer; "
            "give StageScheme(new_window=..., maturity_window=..., "
            "churn_window=..., median_ipt=...)"
        )
    m = float(np.median(recency[mask] / repeats[mask]))
    if not m > 0:
        raise ValueError(f"cannot derive default stage windows: median inter-purchase time is {m}")
    return m


def repeats_of(summary: pd.DataFrame) -> np.ndarray:
    """Purchase periods after the first: ``n_periods - 1`` when known, else ``frequency``."""
    if "n_periods" in summary.columns:
        return summary["n_periods"].to_numpy(dtype=float) - 1.0
    return summary["frequency"].to_numpy(dtype=float)
