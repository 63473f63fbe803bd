"""Type stubs of clmkit's compiled core (``clmkit._core``)."""

from typing import Any, Optional

import numpy as np
import numpy.typing as npt

__version__: str

class ConvergenceError(RuntimeError): ...

def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
def _panic_for_test() -> None: ...

# --- summary ---
def summarize_codes(
    codes: npt.NDArray[np.int64],
    n_customers: int,
    times_ns: npt.NDArray[np.int64],
    values: Optional[npt.NDArray[np.float64]],
    freq: str,
    freq_multiplier: float,
    include_first_transaction: bool,
    observation_end_ns: int,
) -> dict[str, np.ndarray]: ...

# --- survival ---
def km_fit(
    durations: npt.NDArray[np.float64],
    events: npt.NDArray[np.float64],
    weights: Optional[npt.NDArray[np.float64]],
    entry: Optional[npt.NDArray[np.float64]],
    z: float,
    ci_transform: str,
) -> dict[str, np.ndarray]: ...
def na_fit(
    durations: npt.NDArray[np.float64],
    events: npt.NDArray[np.float64],
    weights: Optional[npt.NDArray[np.float64]],
    entry: Optional[npt.NDArray[np.float64]],
    z: float,
) -> dict[str, np.ndarray]: ...
def cox_fit(
    x: npt.NDArray[np.float64],
    durations: npt.NDArray[np.float64],
    events: npt.NDArray[np.float64],
    weights: Optional[npt.NDArray[np.float64]],
    strata: Optional[npt.NDArray[np.int64]],
    ties: str,
    penalizer: float,
    l1_ratio: float,
    max_iter: int,
) -> dict[str, Any]: ...
def standardize_columns(x: npt.NDArray[np.float64]) -> dict[str, np.ndarray]: ...
def weibull_fit(
    x: npt.NDArray[np.float64],
    intercept: int,
    durations: npt.NDArray[np.float64],
    events: npt.NDArray[np.float64],
    weights: Optional[npt.NDArray[np.float64]],
    max_iter: int,
) -> dict[str, Any]: ...
def concordance_pairs(
    durations: npt.NDArray[np.float64],
    scores: npt.NDArray[np.float64],
    events: npt.NDArray[np.float64],
) -> tuple[int, int, int]: ...
def churn_dataset_codes(
    codes: npt.NDArray[np.int64],
    n_customers: int,
    times_ns: npt.NDArray[np.int64],
    values: Optional[npt.NDArray[np.float64]],
    freq: str,
    observation_end_ns: int,
    threshold: float,
    window: float,
) -> dict[str, np.ndarray]: ...
