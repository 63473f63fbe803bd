"""Type stubs of clmkit's compiled core (``clmkit._core``)."""

from typing import Optional

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

# --- btyd ---
class BtydFit:
    model: str
    param_names: list[str]
    params: list[float]
    log_likelihood: float
    covariance: list[float]
    standard_errors: list[float]
    n_iter: int
    converged: bool
    grad_norm: float
    n_patterns: int
    n_customers: float
    time_scale: float
    penalizer: float
    initial_params: Optional[list[float]]
    tol: float
    max_iter: int
    time_unit: Optional[tuple[str, float]]
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(text: str) -> "BtydFit": ...
    @staticmethod
    def from_params(model: str, params: list[float],
                    time_unit: Optional[tuple[str, float]] = None) -> "BtydFit": ...

def btyd_fit(
    model: str,
    columns: list[npt.NDArray[np.float64]],
    weights: Optional[npt.NDArray[np.float64]],
    penalizer: float,
    initial_params: Optional[list[float]],
    tol: float,
    max_iter: int,
    time_unit: Optional[tuple[str, float]],
) -> BtydFit: ...
def btyd_loglik(model: str, params: list[float],
                columns: list[npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]: ...
def btyd_p_alive(model: str, params: list[float], frequency: npt.NDArray[np.float64],
                 recency: npt.NDArray[np.float64], t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def btyd_conditional_expected_purchases(model: str, params: list[float], t: float,
                                        frequency: npt.NDArray[np.float64], recency: npt.NDArray[np.float64],
                                        big_t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def btyd_conditional_probability_of_n_purchases(model: str, params: list[float], t: float, n: float,
                                                frequency: npt.NDArray[np.float64],
                                                recency: npt.NDArray[np.float64],
                                                big_t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def btyd_expected_purchases(model: str, params: list[float],
                            t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def btyd_probability_of_n_purchases(model: str, params: list[float], t: npt.NDArray[np.float64],
                                    n: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def gammagamma_conditional_expected_spend(params: list[float], frequency: npt.NDArray[np.float64],
                                          monetary_value: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def btyd_customer_lifetime_value(model: str, params: list[float], spend: npt.NDArray[np.float64],
                                 frequency: npt.NDArray[np.float64], recency: npt.NDArray[np.float64],
                                 big_t: npt.NDArray[np.float64], horizon: int, period: float,
                                 discount_rate: float, continuous: bool) -> npt.NDArray[np.float64]: ...

# --- special functions (Pareto/NBD) ---
def ln_hyp2f1(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], c: npt.NDArray[np.float64],
    z: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def ln_hyperu(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], z: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...

# --- Pareto/NBD extras ---
def paretonbd_dert(
    params: list[float], discount_rate: float, horizon: float, frequency: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64], big_t: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def paretonbd_generate(
    params: list[float], big_t: npt.NDArray[np.float64], seed: int,
) -> dict[str, npt.NDArray[np.float64]]: ...

# --- BG/BB ---
def bgbb_p_alive(
    params: list[float], periods_ahead: float, frequency: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64], n_periods: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def bgbb_conditional_expected_purchases(
    params: list[float], m_periods: float, frequency: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64], n_periods: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def bgbb_expected_purchases(
    params: list[float], n_periods: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def bgbb_probability_of_n_purchases(
    params: list[float], n_periods: npt.NDArray[np.float64], n: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def bgbb_generate(
    params: list[float], n_periods: npt.NDArray[np.float64], seed: int,
) -> dict[str, npt.NDArray[np.float64]]: ...

# --- bootstrap (predict_interval) ---
def btyd_bootstrap_parametric(
    params: list[float], covariance: list[float], n_boot: int, seed: int,
) -> npt.NDArray[np.float64]: ...
def btyd_bootstrap_resample(
    model: str, columns: list[npt.NDArray[np.float64]], weights: Optional[npt.NDArray[np.float64]],
    params: list[float], penalizer: float, tol: float, max_iter: int, n_boot: int, seed: int,
) -> npt.NDArray[np.float64]: ...
def btyd_intervals(
    values: npt.NDArray[np.float64], level: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
