"""The lifecycle stage scheme: thresholds, data-derived defaults, labels and custom rules.

Rule precedence (the first rule that fires wins; defined once, in the Rust kernel
``src/stages/assign.rs``, and repeated here for users):

1. ``prospect``    - known customer without a purchase;
2. custom rules    - stages added with ``add=``, in the order given;
3. ``churned``     - inactivity > the customer's churn window and, when a P(alive) is
   given, P(alive) < ``churn_p`` too (two witnesses: a customer the model calls gone who
   is still within their own rhythm is ``at_risk``, never ``churned``);
4. ``at_risk``     - P(alive) < ``at_risk_p``; else inactivity > the customer's at-risk
   window;
5. ``reactivated`` - the gap before the last purchase exceeded the churn window;
6. ``new``         - first purchase within ``new_window``, or a single-period buyer not
   yet overdue;
7. ``growing``     - repeat buyer whose tenure (T) is below ``maturity_window``;
8. ``mature``      - tenure at least ``maturity_window`` (and, by 3-4, buying on cadence).

Churn outranks risk, and both outrank reactivation: a won-back customer who goes quiet
again is reported as at risk / churned. Inactivity is ``T - recency``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Callable, Optional, Union, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._typing import JSONDict
from ..summary.units import TimeUnit, time_unit_of, to_units
from .scheme_values import (
    Window,
    _check_number,
    _check_window,
    _float,
    _function_name,
    _median_ipt,
    _text,
    repeats_of,
)

__all__ = ["StageScheme", "STAGES", "ZH_LABELS", "DEFAULT_MULTIPLES"]

_names = _core.stage_rule_names()
STAGES: tuple[str, ...] = tuple(_names[0])
REASONS: tuple[str, ...] = tuple(_names[1])
FloatArray = npt.NDArray[np.float64]

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

#: Default population windows as multiples of the typical gap ``median_ipt``.
DEFAULT_MULTIPLES = {"new_window": 1.0, "maturity_window": 3.0}
#: Default factors of the expected gap: an active customer with exponential gaps stays silent
#: longer than ``k`` expected gaps with probability ``exp(-k)``: 10 % and 1 %.
AT_RISK_FACTOR = math.log(10.0)
CHURN_FACTOR = math.log(100.0)

Rule = Union[str, Callable[[pd.DataFrame], "npt.ArrayLike"]]


@dataclass(frozen=True)
class StageScheme:
    """Thresholds and names of the lifecycle stages (a small validated dataclass).

    **Windows are per customer.** A customer's *expected gap* between purchases is the mean of
    their own gaps shrunk towards the population's typical gap ``g0 = median_ipt`` by one
    prior gap, ``gap = (recency + g0) / (repeats + 1)`` (one-period buyers: ``g0``). This is
    the posterior mean gap of a Poisson purchase process under a conjugate prior worth one
    gap of ``g0``: a customer with many purchases is judged by their own cadence, one with
    few mostly by the population's. If gaps were exponential with that mean, an active
    customer would stay silent longer than ``k`` expected gaps with probability
    ``exp(-k)``; so a customer is

    - **at risk** when inactivity exceeds ``at_risk_factor`` x gap (default ``ln 10`` =
      2.30: a 10 % chance for an active customer), and at least ``g0``;
    - **churned** when inactivity exceeds ``churn_factor`` x gap (default ``ln 100`` = 4.61:
      a 1 % chance), and at least ``2 g0``; a fixed ``churn_window`` replaces this for all.

    The windows scale with the data's own cadence, so the same rules are defensible on a
    weekly-shopping log and a yearly-buying one: stretching every time by a factor stretches
    every window by it and leaves every stage unchanged. The minimums keep a same-day burst
    of purchases from making a customer "churned" after a day's silence. On CDNOW (23,570
    customers) no customer called churned has a fitted MBG/NBD P(alive) above 0.5.

    Windows are in the summary's time unit, or strings such as ``"90D"`` converted with
    the unit recorded on the summary. ``median_ipt``, ``new_window`` and ``maturity_window``
    left as None are derived from the data by :meth:`resolve`: ``g0`` is the median over
    repeat buyers of their mean inter-purchase time (``recency / (n_periods - 1)``),
    ``new_window = g0`` and ``maturity_window = 3 g0``. :meth:`windows` reports the
    resolved windows and :meth:`customer_windows` every customer's.

    Parameters
    ----------
    new_window, maturity_window : float or str, optional
        Need ``new_window <= maturity_window`` (and ``new_window < churn_window`` when set).
    churn_window : float or str, optional
        One churn window for every customer; None (default): per customer, see above.
    at_risk_factor, churn_factor : float
        Expected gaps of silence before at risk / churned, ``0 < at_risk_factor <
        churn_factor`` (defaults ``ln 10`` and ``ln 100``).
    at_risk_p, churn_p : float
        P(alive) thresholds, ``0 < churn_p < at_risk_p < 1`` (defaults 0.5 and 0.1).
    median_ipt : float or str, optional
        The typical gap ``g0``: prior of every expected gap and the cadence assumed for
        single-period buyers (default: derived, see above).
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
    >>> s = clmkit.StageScheme(median_ipt=10, new_window=10, maturity_window=30)
    >>> s.windows()["churn_window"]
    'per customer: 4.61 x expected gap, at least 20'
    """

    new_window: Window = None
    maturity_window: Window = None
    churn_window: Window = None
    at_risk_factor: float = AT_RISK_FACTOR
    at_risk_p: float = 0.5
    churn_p: float = 0.1
    median_ipt: Window = None
    p_alive_for_one_time: bool = False
    labels: Union[str, Mapping[str, str]] = "en"
    drop: Sequence[str] = ()
    add: Sequence[tuple[str, Rule]] = ()
    churn_factor: float = CHURN_FACTOR

    def __post_init__(self) -> None:
        for name in ("new_window", "maturity_window", "churn_window", "median_ipt"):
            object.__setattr__(self, name, _check_window(getattr(self, name), name))
        for name in ("at_risk_factor", "churn_factor", "at_risk_p", "churn_p"):
            object.__setattr__(self, name, _check_number(getattr(self, name), name))
        if not 0 < self.at_risk_factor < self.churn_factor:
            raise ValueError(
                f"need 0 < at_risk_factor < churn_factor, got at_risk_factor="
                f"{self.at_risk_factor} and churn_factor={self.churn_factor}"
            )
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
        if isinstance(new, float) and isinstance(mat, float) and new > mat:
            raise ValueError(f"windows must increase: new_window ({new}) > maturity_window ({mat})")
        if isinstance(new, float) and isinstance(churn, float) and new >= churn:
            raise ValueError(f"windows must increase: new_window ({new}) >= churn_window ({churn})")

    def to_dict(self) -> JSONDict:
        """The scheme as JSON-ready values (what a table's ``attrs`` may hold: pandas writes
        them into Parquet files as JSON). A rule given as a Python function is kept by its
        name only; :meth:`from_dict` then asks for the function.

        Examples
        --------
        >>> s = StageScheme(churn_window=60, add=[("vip", "frequency >= 10")])
        >>> StageScheme.from_dict(s.to_dict()) == s
        True
        """
        rules = [
            [name, rule if isinstance(rule, str) else {"function": _function_name(rule)}]
            for name, rule in self.add
        ]
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        labels = self.labels if isinstance(self.labels, str) else dict(self.labels)
        return {**fields, "labels": labels, "drop": list(self.drop), "add": rules}

    @classmethod
    def from_dict(
        cls, values: Mapping[str, object], functions: Optional[Mapping[str, Rule]] = None
    ) -> StageScheme:
        """The scheme :meth:`to_dict` described; ``functions`` gives the rules that were
        Python functions, by added stage name.

        Raises
        ------
        ValueError
            A rule was a function and ``functions`` does not give it, or an unknown field.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"values: unknown StageScheme field(s) {unknown}")
        kwargs = dict(values)
        functions = functions or {}
        add = []
        for name, rule in cast("list[tuple[str, object]]", kwargs.get("add", [])):
            if isinstance(rule, Mapping):
                if name not in functions:
                    raise ValueError(
                        f"functions: the rule of stage {name!r} was the Python function "
                        f"{rule.get('function')!r}; pass it as functions={{{name!r}: ...}}"
                    )
                rule = functions[name]
            add.append((name, rule))
        kwargs["add"] = add
        return cls(**kwargs)  # type: ignore[arg-type]  # the fields check themselves

    @property
    def is_resolved(self) -> bool:
        """True when every window is a number (no data needed to apply the scheme); a
        ``churn_window`` of None (per customer) needs no data."""
        return isinstance(self.churn_window, (float, type(None))) and all(
            isinstance(getattr(self, f), float)
            for f in ("new_window", "maturity_window", "median_ipt")
        )

    def core_params(self) -> _core.StageParams:
        """The resolved thresholds as the Rust kernels take them (validated there).

        Raises
        ------
        ValueError
            When a window is not resolved yet (call :meth:`resolve`).
        """
        if not self.is_resolved:
            raise ValueError("the scheme's windows are not resolved: call resolve(summary)")
        return _core.StageParams(
            new_window=_float(self.new_window),
            maturity_window=_float(self.maturity_window),
            churn_window=None if self.churn_window is None else _float(self.churn_window),
            at_risk_factor=self.at_risk_factor,
            churn_factor=self.churn_factor,
            median_ipt=_float(self.median_ipt),
            at_risk_p=self.at_risk_p,
            churn_p=self.churn_p,
            p_alive_for_one_time=bool(self.p_alive_for_one_time),
            enabled=self.enabled(),
        )

    def windows(self) -> dict[str, str]:
        """The resolved windows in words, for reports and the CLI (units: the summary's).

        Examples
        --------
        >>> StageScheme(median_ipt=7, new_window=7, maturity_window=21, churn_window=60).windows()
        {'typical_gap': '7', 'new_window': '7', 'maturity_window': '21', 'at_risk_window': 'per customer: 2.3 x expected gap, at least 7', 'churn_window': '60'}
        """
        g0 = self.median_ipt
        churn = self.churn_window
        return {
            "typical_gap": _text(g0),
            "new_window": _text(self.new_window),
            "maturity_window": _text(self.maturity_window),
            "at_risk_window": (
                f"per customer: {self.at_risk_factor:.3g} x expected gap, at least {_text(g0)}"
            ),
            "churn_window": (
                f"per customer: {self.churn_factor:.3g} x expected gap, at least "
                f"{_text(2 * g0 if isinstance(g0, float) else g0)}"
                if churn is None
                else _text(churn)
            ),
        }

    def customer_windows(self, summary: object) -> pd.DataFrame:
        """Every customer's expected gap, at-risk window and churn window (resolved scheme).

        Parameters
        ----------
        summary : DataFrame
            With ``frequency`` (or ``n_periods``) and ``recency``, as for
            :func:`clmkit.assign_stages`.

        Returns
        -------
        pandas.DataFrame
            Indexed like the summary: ``expected_gap``, ``at_risk_window``, ``churn_window``.
        """
        from .._io import to_pandas

        frame = to_pandas(summary)
        resolved = self if self.is_resolved else self.resolve(frame)
        g0 = _float(resolved.median_ipt)
        recency = frame["recency"].to_numpy(dtype=float)
        gap = (recency + g0) / (repeats_of(frame) + 1.0)
        churn = resolved.churn_window
        result: pd.DataFrame = pd.DataFrame(
            {
                "expected_gap": gap,
                "at_risk_window": np.maximum(resolved.at_risk_factor * gap, g0),
                "churn_window": np.maximum(resolved.churn_factor * gap, 2 * g0)
                if churn is None
                else np.full(len(gap), _float(churn)),
            },
            index=frame.index,
        )
        return result

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
        values: dict[str, Optional[float]] = {}
        m = None
        for name in ("new_window", "maturity_window", "churn_window", "median_ipt"):
            v = getattr(self, name)
            if isinstance(v, str):
                values[name] = to_units(v, unit, name)
            elif v is None and name != "churn_window":
                m = _median_ipt(summary) if m is None else m
                values[name] = m * DEFAULT_MULTIPLES.get(name, 1.0)
            else:
                values[name] = v
        return dataclasses.replace(self, **values)  # type: ignore[arg-type]

    # --- names ---
    def keys(self) -> tuple[str, ...]:
        """Stage keys by code: built-ins then added stages."""
        return STAGES + tuple(n for n, _ in self.add)

    def enabled(self) -> list[bool]:
        """Whether each built-in stage's rule runs, in stage code order."""
        return [s not in self.drop for s in STAGES]

    def label_of(self, key: str) -> str:
        return _labels(self.labels, self.keys()).get(key, key)

    def reasons(self) -> list[str]:
        return list(REASONS) + [
            f"custom: {n}: {r if isinstance(r, str) else getattr(r, '__name__', 'rule')}"
            for n, r in self.add
        ]


def _labels(labels: object, keys: Sequence[str]) -> dict[str, str]:
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
