"""Customer rows across the door: the caller's row labels in the core's errors, and
results shaped like the input (a Series with its index, a float for a scalar, else numpy)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Union, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._validation import index_of
from ..exceptions import InvalidValueError, with_row_label

__all__ = ["labelled_rows", "shaped"]


@contextmanager
def labelled_rows(like: object) -> Iterator[None]:
    """Runs a core call on customer columns, naming the caller's row label in its errors.

    The core checks the data once (argument, row position, value; ``src/btyd/validate.rs``);
    when the columns came as pandas objects, the position becomes the caller's index label.
    ``like`` is the first column as given (or its index, or None).
    """
    try:
        yield
    except InvalidValueError as err:
        index = like if isinstance(like, pd.Index) else index_of(like)
        raise with_row_label(err, index) from None


def shaped(
    values: npt.NDArray[np.float64], like: object, name: str
) -> Union[npt.NDArray[np.float64], pd.Series, float]:
    """``values`` as a Series named ``name`` when ``like`` has an index (same index), a float
    when ``like`` is a scalar, else the numpy array."""
    index = index_of(like)
    if index is not None:
        return pd.Series(values, index=index, name=name)
    if np.ndim(cast("npt.ArrayLike", like)) == 0 and values.shape == (1,):
        return float(values[0])
    return values
