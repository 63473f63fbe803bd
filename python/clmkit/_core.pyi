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

# --- rfm ---
def rfm_quantile_edges(values: npt.NDArray[np.float64], bins: int) -> npt.NDArray[np.float64]: ...
def rfm_score_edges(
    values: npt.NDArray[np.float64], edges: npt.NDArray[np.float64], ascending: bool
) -> npt.NDArray[np.int8]: ...
def rfm_score_values(
    values: npt.NDArray[np.float64], bins: int, method: str, ascending: bool
) -> npt.NDArray[np.int8]: ...
def rfm_combine(
    scores: list[npt.NDArray[np.int8]], weights: list[float], bins: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int16], list[str]]: ...
def rfm_segment_lookup(
    rules: list[tuple[str, Optional[tuple[int, int]], Optional[tuple[int, int]], Optional[tuple[int, int]]]],
    bins: int,
    r: Optional[npt.NDArray[np.float64]],
    f: Optional[npt.NDArray[np.float64]],
    m: Optional[npt.NDArray[np.float64]] = None,
) -> npt.NDArray[np.int16]: ...
def rfm_abc_classes(values: npt.NDArray[np.float64], a_cut: float, b_cut: float) -> npt.NDArray[np.int8]: ...
def rfm_scorer_to_json(
    bins: int, method: str, weights: list[float], dimensions: list[tuple[str, str, bool, list[float]]]
) -> str: ...
def rfm_scorer_from_json(text: str) -> dict[str, object]: ...
# --- stages ---
def assign_stage_codes(
    repeats: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64],
    t: npt.NDArray[np.float64],
    gap_before_last: npt.NDArray[np.float64],
    p_alive: Optional[npt.NDArray[np.float64]],
    custom: Optional[npt.NDArray[np.int32]],
    new_window: float,
    maturity_window: float,
    churn_window: float,
    at_risk_factor: float,
    median_ipt: float,
    at_risk_p: float,
    churn_p: float,
    p_alive_for_one_time: bool,
    enabled: list[bool],
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]: ...
def stage_rule_names() -> tuple[list[str], list[str]]: ...
def snapshot_summary_codes(
    codes: npt.NDArray[np.int64],
    n_customers: int,
    times_ns: npt.NDArray[np.int64],
    snapshots_ns: npt.NDArray[np.int64],
    freq: str,
    freq_multiplier: float,
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

# --- btyd evaluation hooks (clmkit.dask) ---
def btyd_loglik_grad(
    model: str, params: list[float], columns: list[npt.NDArray[np.float64]],
    weights: Optional[npt.NDArray[np.float64]] = None,
) -> tuple[float, list[float]]: ...
def btyd_model_layout(model: str) -> tuple[list[str], list[str], list[int], Optional[int], list[int]]: ...
