"""Customer value formulas from CRM practice (vectorised: numpy in, numpy out).

These are the closed-form "back of the envelope" formulas of CRM textbooks, not models
fitted to data; see :func:`clmkit.customer_lifetime_value` for model-based CLV.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Optional, Union

import numpy as np
import numpy.typing as npt

from .._validation import as_float_array, check_rows

__all__ = ["purchase_value", "composite_value", "retention_clv", "ltv_to_cac", "payback_period"]

_COMPONENTS = ("purchase", "word_of_mouth", "information", "knowledge", "transaction")


def _arr(x: npt.ArrayLike, name: str, **kw: bool) -> np.ndarray:
    return as_float_array(x, name, **kw)


def _out(result: np.ndarray, *inputs: npt.ArrayLike) -> Union[float, np.ndarray]:
    return (
        float(np.asarray(result).reshape(-1)[0]) if all(np.ndim(x) == 0 for x in inputs) else result
    )


def _broadcast(**arrays: np.ndarray) -> list[np.ndarray]:
    try:
        return list(np.broadcast_arrays(*arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
        raise ValueError(f"arrays cannot be broadcast together: {shapes}") from None


def _rates(
    retention_rate: npt.ArrayLike, discount_rate: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Validated retention rates (in [0, 1]) and discount rates (> -1) per period."""
    r = _arr(retention_rate, "retention_rate")
    d = _arr(discount_rate, "discount_rate")
    check_rows((r < 0) | (r > 1), "retention_rate", r, "must be in [0, 1]")
    check_rows(d <= -1, "discount_rate", d, "must be > -1")
    return r, d


def purchase_value(
    capacity: npt.ArrayLike, share_of_wallet: npt.ArrayLike, unit_margin: npt.ArrayLike
) -> Union[float, np.ndarray]:
    """Customer purchase value ``CPV = capacity x share_of_wallet x unit_margin``.

    ``capacity`` is what the customer buys of the category per period (units),
    ``share_of_wallet`` the fraction bought from us (in [0, 1]) and ``unit_margin`` the
    margin per unit.

    Raises
    ------
    ValueError
        Negative capacity, share outside [0, 1], non-finite values or shapes that do not
        broadcast.

    Examples
    --------
    >>> import clmkit
    >>> clmkit.purchase_value(100, 0.25, 4.0)
    100.0
    """
    cap = _arr(capacity, "capacity", nonnegative=True)
    share = _arr(share_of_wallet, "share_of_wallet")
    check_rows((share < 0) | (share > 1), "share_of_wallet", share, "must be in [0, 1]")
    margin = _arr(unit_margin, "unit_margin")
    cap, share, margin = _broadcast(capacity=cap, share_of_wallet=share, unit_margin=margin)
    return _out(cap * share * margin, capacity, share_of_wallet, unit_margin)


def composite_value(
    purchase: npt.ArrayLike = 0.0,
    word_of_mouth: npt.ArrayLike = 0.0,
    information: npt.ArrayLike = 0.0,
    knowledge: npt.ArrayLike = 0.0,
    transaction: npt.ArrayLike = 0.0,
    weights: Optional[Union[Mapping[str, float], Sequence[float]]] = None,
) -> Union[float, np.ndarray]:
    """Customer value as a weighted sum of its components.

    ``CV = w_p purchase + w_w word_of_mouth + w_i information + w_k knowledge
    + w_t transaction`` (all weights 1 by default): the purchase value plus the value of
    referrals, of the information and knowledge the customer gives the firm, and of
    transaction-cost savings.

    Parameters
    ----------
    purchase, word_of_mouth, information, knowledge, transaction : array-like
        Components (broadcast together).
    weights : mapping or sequence of 5 floats, optional
        Weight per component (a mapping may list only some; the rest weigh 1).

    Examples
    --------
    >>> import clmkit
    >>> clmkit.composite_value(purchase=100, word_of_mouth=20, weights={"word_of_mouth": 0.5})
    110.0
    """
    raw = dict(zip(_COMPONENTS, (purchase, word_of_mouth, information, knowledge, transaction)))
    w = _weights(weights)
    parts = _broadcast(**{k: _arr(v, k) for k, v in raw.items()})
    total = sum(wi * p for wi, p in zip(w, parts))
    return _out(np.asarray(total, dtype=float), *raw.values())


def _weights(weights: Union[Mapping[str, float], Sequence[float], None]) -> list[float]:
    if weights is None:
        return [1.0] * len(_COMPONENTS)
    if isinstance(weights, Mapping):
        unknown = [k for k in weights if k not in _COMPONENTS]
        if unknown:
            raise ValueError(
                f"weights: unknown component(s) {unknown}; components are {list(_COMPONENTS)}"
            )
        w = [float(weights.get(k, 1.0)) for k in _COMPONENTS]
    else:
        w = list(_arr(weights, "weights"))
        if len(w) != len(_COMPONENTS):
            raise ValueError(
                f"weights must have {len(_COMPONENTS)} values {list(_COMPONENTS)}, got {len(w)}"
            )
    if not all(np.isfinite(w)):
        raise ValueError(f"weights must be finite, got {w}")
    return w


def retention_clv(
    margin: npt.ArrayLike,
    retention_rate: npt.ArrayLike,
    discount_rate: npt.ArrayLike,
    horizon: Optional[int] = None,
) -> Union[float, np.ndarray]:
    """CLV of a customer with constant margin and retention (Gupta & Lehmann 2003).

    With margin ``m`` per period received at the end of each period the customer is
    still retained, retention ``r`` and discount rate ``d`` per period,
    ``CLV = sum_{t=1}^{H} m r^t / (1 + d)^t``. Infinite horizon (``horizon=None``):
    ``CLV = m r / (1 + d - r)``, which needs ``r < 1 + d``. Finite horizon H, with
    ``q = r / (1 + d)``: ``CLV = m q (1 - q^H) / (1 - q)`` (``m H`` when q = 1).

    Parameters
    ----------
    margin : array-like
        Margin per period.
    retention_rate : array-like
        Per-period retention in [0, 1].
    discount_rate : array-like
        Per-period discount rate, > -1.
    horizon : int, optional
        Number of periods (>= 0); None for an infinite horizon.

    Raises
    ------
    ValueError
        ``retention_rate`` outside [0, 1], ``discount_rate <= -1``, or (infinite horizon)
        ``retention_rate >= 1 + discount_rate``, naming the first bad row.

    Examples
    --------
    >>> import clmkit
    >>> round(clmkit.retention_clv(100, 0.8, 0.1), 4)
    266.6667
    >>> round(clmkit.retention_clv(100, 0.8, 0.1, horizon=1), 4)
    72.7273
    """
    m = _arr(margin, "margin")
    r, d = _rates(retention_rate, discount_rate)
    m, r, d = _broadcast(margin=m, retention_rate=r, discount_rate=d)
    if horizon is None:
        check_rows(
            r >= 1 + d,
            "retention_rate",
            r,
            "must be < 1 + discount_rate for an infinite horizon (the sum diverges)",
        )
        return _out(m * r / (1 + d - r), margin, retention_rate, discount_rate)
    from .._validation import check_int

    h = check_int(horizon, "horizon", low=0)
    q = r / (1 + d)
    one = np.isclose(q, 1.0, rtol=0, atol=1e-12)
    safe = np.where(one, 0.5, q)
    geometric = safe * (1 - safe**h) / (1 - safe)
    return _out(m * np.where(one, float(h), geometric), margin, retention_rate, discount_rate)


def ltv_to_cac(clv: npt.ArrayLike, cac: npt.ArrayLike) -> Union[float, np.ndarray]:
    """LTV:CAC ratio ``clv / cac`` (3 or more is the usual health benchmark).

    Raises
    ------
    ValueError
        ``cac`` not > 0.

    Examples
    --------
    >>> import clmkit
    >>> clmkit.ltv_to_cac(300.0, 100.0)
    3.0
    """
    v = _arr(clv, "clv")
    c = _arr(cac, "cac")
    check_rows(c <= 0, "cac", c, "must be > 0")
    v, c = _broadcast(clv=v, cac=c)
    return _out(v / c, clv, cac)


def payback_period(
    cac: npt.ArrayLike,
    margin: npt.ArrayLike,
    retention_rate: npt.ArrayLike = 1.0,
    discount_rate: npt.ArrayLike = 0.0,
) -> Union[float, np.ndarray]:
    """Periods until the cumulative expected margin pays back the acquisition cost.

    Solves ``sum_{t=1}^{n} m q^t = cac`` for (fractional) n with ``q = r / (1 + d)``:
    ``n = cac / m`` when q = 1, else ``n = ln(1 - cac (1 - q) / (m q)) / ln q``. It is
    ``inf`` when the cost is never recovered (``cac >= m q / (1 - q)``, or m <= 0).

    Raises
    ------
    ValueError
        ``cac`` negative, ``retention_rate`` outside [0, 1], ``discount_rate <= -1``.

    Examples
    --------
    >>> import clmkit
    >>> clmkit.payback_period(300.0, 25.0)
    12.0
    """
    c = _arr(cac, "cac", nonnegative=True)
    m = _arr(margin, "margin")
    r, d = _rates(retention_rate, discount_rate)
    c, m, r, d = _broadcast(cac=c, margin=m, retention_rate=r, discount_rate=d)
    q = r / (1 + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        flat = np.where(m > 0, c / m, np.inf)
        inside = 1 - c * (1 - q) / (m * q)
        geometric = np.where((m > 0) & (q > 0) & (inside > 0), np.log(inside) / np.log(q), np.inf)
    one = np.isclose(q, 1.0, rtol=0, atol=1e-12)
    n = np.where(c == 0, 0.0, np.where(one, flat, geometric))
    return _out(n, cac, margin, retention_rate, discount_rate)
