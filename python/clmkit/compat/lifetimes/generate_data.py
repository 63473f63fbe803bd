"""lifetimes' ``generate_data`` simulators, drawn by the native models' ``generate``.

Each function builds the native model from the given parameters and calls its exact,
vectorised simulator (no second simulator here). Seeds come from numpy's global generator,
so ``np.random.seed(s)`` before a call makes it reproducible, as with lifetimes (the draws
themselves differ from lifetimes').
"""

from __future__ import annotations

from datetime import date
from typing import Any, Union, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..._validation import as_float_array, check_int
from ...btyd import BetaGeo, BetaGeoBetaBinom, ModifiedBetaGeo, ParetoNBD

__all__ = [
    "beta_geometric_nbd_model",
    "beta_geometric_nbd_model_transactional_data",
    "pareto_nbd_model",
    "modified_beta_geometric_nbd_model",
    "beta_geometric_beta_binom_model",
]


def _native(model: Any) -> Any:
    """The native model class (its simulators are typed per class, not on the shared base)."""
    return model


def _seed() -> int:
    return int(np.random.randint(0, 2**62))


def _ages(T: npt.ArrayLike, size: object, name: str = "T") -> tuple[np.ndarray, int]:
    """lifetimes' T: a number (every customer) or one value per customer (the first ``size``)."""
    size = check_int(size, "size", low=0)
    ages = as_float_array(T, name, nonnegative=True)
    if ages.shape == (1,) and np.ndim(T) == 0:
        return np.full(size, ages[0]), size
    if len(ages) < size:
        raise ValueError(f"{name} has {len(ages)} values but size is {size}")
    return np.ascontiguousarray(ages[:size]), size


def _lifetimes_frame(sim: pd.DataFrame, columns: list[str], index: bool) -> pd.DataFrame:
    """lifetimes' layout: float columns (``alive`` as 0/1) and a ``customer_id``."""
    frame = sim[columns].astype(float)
    frame["customer_id"] = np.arange(len(frame), dtype=float)
    return cast(pd.DataFrame, frame.set_index("customer_id") if index else frame)


def beta_geometric_nbd_model(
    T: npt.ArrayLike, r: float, alpha: float, a: float, b: float, size: int = 1
) -> pd.DataFrame:
    """Customers simulated from the BG/NBD model.

    Parameters
    ----------
    T : float or array-like
        Observation length (one value, or one per customer).
    r, alpha, a, b : float
        Model parameters.
    size : int, default 1
        Number of customers.

    Returns
    -------
    pandas.DataFrame
        ``frequency, recency, T, lambda, p, alive``, indexed by ``customer_id``.

    Examples
    --------
    >>> import numpy as np
    >>> from clmkit.compat.lifetimes.generate_data import beta_geometric_nbd_model
    >>> np.random.seed(0)
    >>> beta_geometric_nbd_model(39, 0.24, 4.41, 0.79, 2.43, size=5).columns.tolist()
    ['frequency', 'recency', 'T', 'lambda', 'p', 'alive']
    """
    ages, size = _ages(T, size)
    sim = _native(BetaGeo).from_params([r, alpha, a, b]).generate(size, ages, seed=_seed())
    return _lifetimes_frame(sim, ["frequency", "recency", "T", "lambda", "p", "alive"], index=True)


def modified_beta_geometric_nbd_model(
    T: npt.ArrayLike, r: float, alpha: float, a: float, b: float, size: int = 1
) -> pd.DataFrame:
    """Customers simulated from the MBG/NBD model (arguments and output as
    :func:`beta_geometric_nbd_model`)."""
    ages, size = _ages(T, size)
    sim = _native(ModifiedBetaGeo).from_params([r, alpha, a, b]).generate(size, ages, seed=_seed())
    return _lifetimes_frame(sim, ["frequency", "recency", "T", "lambda", "p", "alive"], index=True)


def pareto_nbd_model(
    T: npt.ArrayLike, r: float, alpha: float, s: float, beta: float, size: int = 1
) -> pd.DataFrame:
    """Customers simulated from the Pareto/NBD model.

    Returns
    -------
    pandas.DataFrame
        ``frequency, recency, T, lambda, mu, alive``, indexed by ``customer_id``.
    """
    ages, size = _ages(T, size)
    sim = _native(ParetoNBD).from_params([r, alpha, s, beta]).generate(size, ages, seed=_seed())
    return _lifetimes_frame(sim, ["frequency", "recency", "T", "lambda", "mu", "alive"], index=True)


def beta_geometric_beta_binom_model(
    N: npt.ArrayLike, alpha: float, beta: float, gamma: float, delta: float, size: int = 1
) -> pd.DataFrame:
    """Customers simulated from the BG/BB model with ``N`` opportunities each.

    Returns
    -------
    pandas.DataFrame
        ``frequency, recency, n_periods, p, theta, alive, customer_id`` (a column, as in
        lifetimes).
    """
    periods, size = _ages(N, size, "N")
    sim = (
        _native(BetaGeoBetaBinom)
        .from_params([alpha, beta, gamma, delta])
        .generate(size, periods, seed=_seed())
    )
    return _lifetimes_frame(
        sim, ["frequency", "recency", "n_periods", "p", "theta", "alive"], index=False
    )


def beta_geometric_nbd_model_transactional_data(
    T: npt.ArrayLike,
    r: float,
    alpha: float,
    a: float,
    b: float,
    observation_period_end: Union[str, date, np.datetime64] = "2019-1-1",
    freq: str = "D",
    size: int = 1,
) -> pd.DataFrame:
    """A transaction log (``customer_id, date``) simulated from the BG/NBD model.

    Each customer's first purchase is at ``observation_period_end - T`` (in ``freq`` units)
    and their repeat purchases are the native simulator's, spread uniformly in (0, T] as
    the Poisson process places them given their number.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` and ``date``, one row per purchase.
    """
    ages, size = _ages(T, size)
    sim = _native(BetaGeo).from_params([r, alpha, a, b]).generate(size, ages, seed=_seed())
    counts = sim["frequency"].to_numpy(dtype=np.int64)
    rng = np.random.default_rng(_seed())
    owner = np.repeat(np.arange(size), counts)
    # Given its count and last purchase, the other purchases are uniform before the last one.
    last = np.repeat(sim["recency"].to_numpy(), counts)
    is_last = np.zeros(len(owner), dtype=bool)
    is_last[np.cumsum(counts)[counts > 0] - 1] = True
    times = np.where(is_last, last, rng.uniform(0.0, 1.0, len(owner)) * last)
    start = pd.to_datetime(observation_period_end) - pd.to_timedelta(ages, unit=cast(Any, freq))
    first = pd.DataFrame({"customer_id": np.arange(size), "date": start})
    repeat = pd.DataFrame(
        {"customer_id": owner, "date": start[owner] + pd.to_timedelta(times, unit=cast(Any, freq))}
    )
    return cast(
        pd.DataFrame,
        pd.concat([first, repeat], ignore_index=True).sort_values(
            ["customer_id", "date"], ignore_index=True
        ),
    )
