"""lifetimes' ``datasets`` module: the same loaders, names and return shapes."""

from __future__ import annotations

from typing import Any, cast

import pandas as pd

from ...datasets import data_path

__all__ = [
    "load_dataset",
    "load_cdnow_summary",
    "load_cdnow_summary_data_with_monetary_value",
    "load_transaction_data",
    "load_donations",
]


def load_dataset(filename: str, **kwargs: Any) -> pd.DataFrame:
    """Read a bundled data file with ``pandas.read_csv(**kwargs)``, as lifetimes does.

    Examples
    --------
    >>> from clmkit.compat.lifetimes.datasets import load_dataset
    >>> load_dataset("cdnow_customers_summary.csv").columns.tolist()
    ['ID', 'frequency', 'recency', 'T']
    """
    with data_path(filename).open("r") as fh:
        return cast(pd.DataFrame, pd.read_csv(fh, **kwargs))


def load_cdnow_summary(**kwargs: Any) -> pd.DataFrame:
    """CDNOW calibration summary in weeks (``ID, frequency, recency, T``).

    Examples
    --------
    >>> from clmkit.compat.lifetimes.datasets import load_cdnow_summary
    >>> load_cdnow_summary(index_col=[0]).shape
    (2357, 3)
    """
    return load_dataset("cdnow_customers_summary.csv", **kwargs)


def load_cdnow_summary_data_with_monetary_value(**kwargs: Any) -> pd.DataFrame:
    """CDNOW summary with mean repeat spend, indexed by ``customer_id``.

    Examples
    --------
    >>> from clmkit.compat.lifetimes.datasets import load_cdnow_summary_data_with_monetary_value
    >>> load_cdnow_summary_data_with_monetary_value().columns.tolist()
    ['frequency', 'recency', 'T', 'monetary_value']
    """
    df = load_dataset("cdnow_customers_summary_with_transactions.csv", **kwargs)
    df.columns = ["customer_id", "frequency", "recency", "T", "monetary_value"]
    return cast(pd.DataFrame, df.set_index("customer_id"))


def load_transaction_data(**kwargs: Any) -> pd.DataFrame:
    """5,000 customers' simulated 2014 transactions (``date`` as strings, ``id``).

    Examples
    --------
    >>> from clmkit.compat.lifetimes.datasets import load_transaction_data
    >>> load_transaction_data().shape
    (15273, 2)
    """
    return load_dataset("example_transactions.csv", **kwargs)


def load_donations(**kwargs: Any) -> pd.DataFrame:
    """BG/BB donations patterns (``frequency, recency, periods, weights``).

    Examples
    --------
    >>> from clmkit.compat.lifetimes.datasets import load_donations
    >>> int(load_donations()["weights"].sum())
    11104
    """
    return load_dataset("donations.csv", **kwargs)
