"""Bundled public datasets (see ``data/SOURCES.md`` for their origin) and a log simulator."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Optional, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:  # importlib.resources.abc from Python 3.11; this name works on 3.9+
    from importlib.abc import Traversable

from .._typing import JSONDict
from .covariates import (
    COVARIATE_LINKS,
    customer_parameters,
    simulate_covariate_summary,
    simulate_covariate_transactions,
)

# float parameters of simulate_transactions, or one value per customer
_PerCustomer = Union[float, npt.NDArray[np.float64]]

__all__ = [
    "load_cdnow_sample",
    "load_cdnow_master",
    "load_cdnow_summary",
    "load_donations",
    "load_rossi",
    "load_waltons",
    "load_g3",
    "load_example_transactions",
    "load_published_reference",
    "load_retention_segments",
    "simulate_transactions",
    "simulate_covariate_summary",
    "simulate_covariate_transactions",
    "customer_parameters",
    "COVARIATE_LINKS",
    "data_path",
]


def data_path(filename: str) -> Traversable:
    """Path (a ``Traversable``) of a bundled data file."""
    return resources.files(__name__).joinpath("data").joinpath(filename)


def _read_cdnow(filename: str, names: list[str], header: Optional[int]) -> pd.DataFrame:
    with data_path(filename).open("r") as fh:
        df = pd.read_csv(fh, sep=r"\s+", header=header, names=names, dtype={"date": str})
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return df


def load_cdnow_sample() -> pd.DataFrame:
    """The CDNOW 1/10 sample of the BTYD papers: 6,919 transactions of 2,357 customers.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (the papers' sample id, 1..2357), ``master_id``, ``date``
        (datetime64), ``n_cds`` and ``amount`` (dollars).

    Examples
    --------
    >>> import clmkit
    >>> clmkit.datasets.load_cdnow_sample().shape
    (6919, 5)
    """
    df = _read_cdnow(
        "CDNOW_sample.txt", ["master_id", "customer_id", "date", "n_cds", "amount"], None
    )
    out: pd.DataFrame = df[["customer_id", "master_id", "date", "n_cds", "amount"]]
    return out


def load_cdnow_master() -> pd.DataFrame:
    """The full CDNOW log: 69,659 transactions of 23,570 customers (Jan 1997 - Jun 1998).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``date`` (datetime64), ``n_cds``, ``amount``.

    Examples
    --------
    >>> import clmkit
    >>> clmkit.datasets.load_cdnow_master()["customer_id"].nunique()
    23570
    """
    return _read_cdnow("CDNOW_master.txt", ["customer_id", "date", "n_cds", "amount"], 0)


def load_cdnow_summary(with_monetary_value: bool = False) -> pd.DataFrame:
    """The CDNOW sample summarised over the 39-week calibration period, in weeks.

    Parameters
    ----------
    with_monetary_value : bool
        Add ``monetary_value`` (mean repeat spend, the papers' zbar).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``ID`` with ``frequency``, ``recency``, ``T`` (and ``monetary_value``);
        ``attrs["clmkit"]`` records the unit (7 days).

    Examples
    --------
    >>> import clmkit
    >>> clmkit.datasets.load_cdnow_summary().shape
    (2357, 3)
    """
    df: pd.DataFrame
    if with_monetary_value:
        with data_path("cdnow_customers_summary_with_transactions.csv").open("r") as fh:
            df = pd.read_csv(fh, index_col="ID")
        df = df.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    else:
        with data_path("cdnow_customers_summary.csv").open("r") as fh:
            df = pd.read_csv(fh, index_col="ID")
    df = df.astype(float)
    df.attrs["clmkit"] = {
        "freq": "D",
        "multiplier": 7.0,
        "freq_multiplier": 7.0,
        "observation_period_end": "1997-09-30",
    }
    return df


def _read_csv(filename: str, parse_dates: Optional[list[str]] = None) -> pd.DataFrame:
    with data_path(filename).open("r") as fh:
        table: pd.DataFrame = pd.read_csv(fh, parse_dates=parse_dates)
    return table


def load_donations() -> pd.DataFrame:
    """BG/BB donations data: 11,104 donors over 6 yearly opportunities as 22 patterns.

    Returns
    -------
    pandas.DataFrame
        ``frequency``, ``recency``, ``periods`` and ``weights`` (donors with the pattern).

    Examples
    --------
    >>> import clmkit
    >>> int(clmkit.datasets.load_donations()["weights"].sum())
    11104
    """
    return _read_csv("donations.csv")


def load_rossi() -> pd.DataFrame:
    """Rossi recidivism data: 432 released prisoners, ``week`` of arrest, ``arrest`` and
    covariates ``fin age race wexp mar paro prio``.

    Examples
    --------
    >>> import clmkit
    >>> clmkit.datasets.load_rossi().shape
    (432, 9)
    """
    return _read_csv("rossi.csv")


def load_waltons() -> pd.DataFrame:
    """Lifespans of fruit flies in two groups: ``T``, ``E``, ``group``.

    Examples
    --------
    >>> import clmkit
    >>> sorted(clmkit.datasets.load_waltons()["group"].unique())
    ['control', 'miR-137']
    """
    return _read_csv("waltons_dataset.csv")


def load_g3() -> pd.DataFrame:
    """17 glioma patients: ``time``, ``event`` (bool) and ``group`` (RIT / Control).

    Examples
    --------
    >>> import clmkit
    >>> len(clmkit.datasets.load_g3())
    17
    """
    return _read_csv("g3.csv")


def load_example_transactions() -> pd.DataFrame:
    """15,273 simulated transactions (``date``, ``id``) of 5,000 customers in 2014.

    Examples
    --------
    >>> import clmkit
    >>> clmkit.datasets.load_example_transactions()["id"].nunique()
    5000
    """
    return _read_csv("example_transactions.csv", parse_dates=["date"])


@lru_cache(maxsize=1)
def load_retention_segments() -> pd.DataFrame:
    """Fader & Hardie's (2007) subscription cohorts: survivors of 1,000 "regular" and 1,000
    "high end" customers over 13 years.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``year`` (0..12), columns ``regular`` and ``high_end`` (customers still
        subscribed). The paper fits years 0-7 and projects the rest.

    Examples
    --------
    >>> import clmkit
    >>> seg = clmkit.datasets.load_retention_segments()
    >>> seg.loc[7].tolist()
    [241, 491]
    """
    table: pd.DataFrame = _read_csv("fader_hardie_2007_retention.csv").set_index("year")
    return table


def _published() -> JSONDict:
    with data_path("published_reference.json").open("r") as fh:
        reference: JSONDict = json.load(fh)  # nested JSON objects, numbers and lists
    return reference


def load_published_reference() -> JSONDict:
    """The papers' published parameters and predictions (a fresh copy each call).

    Examples
    --------
    >>> import clmkit
    >>> clmkit.datasets.load_published_reference()["bgnbd_cdnow"]["params"]["r"]
    0.243
    """
    copy: JSONDict = json.loads(json.dumps(_published()))  # the cached one untouched
    return copy


def simulate_transactions(
    n_customers: int,
    seed: int = 0,
    *,
    start: str = "2020-01-01",
    acquisition_days: float = 365.0,
    observation_days: float = 730.0,
    r: float = 0.243,
    alpha: _PerCustomer = 30.9,
    a: _PerCustomer = 0.793,
    b: _PerCustomer = 2.426,
    p: float = 6.25,
    q: float = 3.74,
    v: _PerCustomer = 15.44,
) -> pd.DataFrame:
    """Simulate a transaction log from the BG/NBD process with Gamma-Gamma spend.

    Each customer is acquired (first purchase) at a uniform time in the first
    ``acquisition_days``; repeat purchases follow a Poisson process with rate
    lambda ~ Gamma(r, alpha) per day and, after every repeat purchase, the customer drops out
    with probability p ~ Beta(a, b) (Fader, Hardie & Lee 2005). Spend per transaction is
    Gamma(p, nu) with nu ~ Gamma(q, v) (Fader & Hardie 2013). Defaults are the CDNOW
    estimates with alpha converted from weeks to days. Fully vectorised.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    seed : int
        Seed of numpy's default generator; equal seeds give equal logs.
    r, alpha, a, b, p, q, v : float
        BG/NBD and Gamma-Gamma parameters (rates per day); ``alpha``, ``a``, ``b`` and ``v``
        may also be arrays of one value per customer (see
        :func:`simulate_covariate_transactions`).

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (int64), ``date`` (datetime64[ns]) and ``amount``, sorted by date.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.simulate_transactions(1000, seed=1)
    >>> log["customer_id"].nunique()
    1000
    """
    if n_customers < 0:
        raise ValueError(f"n_customers must be >= 0, got {n_customers}")
    rng = np.random.default_rng(seed)
    birth = rng.uniform(0.0, acquisition_days, n_customers)
    window = np.maximum(observation_days - birth, 0.0)
    rate = rng.gamma(r, 1.0 / alpha, n_customers)
    dropout = rng.beta(a, b, n_customers)
    # Dropout happens only right after a repeat purchase (FHL 2005: the likelihood of x = 0 is
    # exp(-lambda T)), so the most repeats a customer can make is Geometric(p) on {1, 2, ...}.
    repeats_before_dropout = rng.geometric(dropout)
    arrivals = rng.poisson(rate * window)
    owner = np.repeat(np.arange(n_customers), arrivals)
    times = rng.uniform(0.0, 1.0, owner.size) * window[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    starts = np.cumsum(arrivals) - arrivals
    rank = np.arange(owner.size) - np.repeat(starts, arrivals)
    keep = rank < repeats_before_dropout[owner]
    owner = np.concatenate([np.arange(n_customers), owner[keep]])
    days = np.concatenate([birth, birth[owner[n_customers:]] + times[keep]])
    nu = rng.gamma(q, 1.0 / v, n_customers)
    amount = np.round(rng.gamma(p, 1.0, owner.size) / nu[owner], 2)
    date = pd.Timestamp(start) + pd.to_timedelta(np.round(days * 86400.0), unit="s")
    log = pd.DataFrame({"customer_id": owner.astype(np.int64), "date": date, "amount": amount})
    ordered: pd.DataFrame = log.sort_values("date", kind="stable").reset_index(drop=True)
    return ordered
