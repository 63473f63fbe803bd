"""ABC classes: customers by cumulative share of value (Pareto analysis)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import numpy.typing as npt
import pandas as pd

from .. import _core
from .._validation import as_float_array
from ..exceptions import InvalidValueError, with_row_label

__all__ = ["abc_classes"]


def abc_classes(
    values: Union[npt.ArrayLike, pd.Series[float]], cutoffs: Sequence[float] = (0.8, 0.95)
) -> Union[pd.Categorical, pd.Series[str]]:
    """ABC class of every customer by cumulative share of value.

    Customers are ordered by value, largest first. A customer's class is decided by the share
    of the total held by customers with a strictly larger value: A if it is below
    ``cutoffs[0]``, else B if below ``cutoffs[1]``, else C. So class A is exactly the
    customers with some of their value inside the first 80% (the one who crosses 80% is A),
    customers with equal values always share a class, whatever their order (a group of ties
    straddling a cutoff goes wholly to the better class), and customers with zero value are
    C. The total is summed in descending order, as ``np.cumsum`` over the sorted values, after
    scaling every value by the same power of two (exact) so that the total cannot overflow:
    values near the largest float (1e308) are classed as their exact shares say.

    Parameters
    ----------
    values : array-like or pandas.Series
        Non-negative finite values (e.g. ``total_value``; clip returns to 0 first).
    cutoffs : (float, float)
        Cumulative shares ``0 < a < b <= 1`` closing classes A and B.

    Returns
    -------
    pandas.Categorical (ordered A < B < C), or a categorical Series named ``"abc_class"``
    with the same index when ``values`` is a Series.

    Raises
    ------
    ValueError
        NaN, inf or negative values (naming the first bad row); cutoffs not ``0 < a < b <= 1``.

    Examples
    --------
    >>> import clmkit
    >>> clmkit.abc_classes([5, 50, 10, 30, 5, 0]).tolist()
    ['B', 'A', 'B', 'A', 'B', 'C']
    """
    arr = as_float_array(values, "values", finite=False)  # domain checks: Rust, naming the row
    cuts = as_float_array(cutoffs, "cutoffs")
    if len(cuts) != 2:
        raise ValueError(f"cutoffs must be two shares (a, b), got {len(cuts)} values")
    try:
        codes = _core.rfm_abc_classes(arr, float(cuts[0]), float(cuts[1]))
    except InvalidValueError as err:
        raise with_row_label(err, values.index if isinstance(values, pd.Series) else None) from None
    classes: pd.Categorical = pd.Categorical.from_codes(
        codes, categories=pd.Index(["A", "B", "C"]), ordered=True
    )
    if isinstance(values, pd.Series):
        series: pd.Series[str] = pd.Series(classes, index=values.index, name="abc_class")
        return series
    return classes
