"""Type stubs of clmkit's compiled core (``clmkit._core``).

Checked against the compiled module by ``make lint``: ``python -m mypy.stubtest clmkit._core
--allowlist tests/typing/stubtest_allowlist.txt``. One section per domain
(``# --- <domain> ---``; ``# --- <domain>: <part> ---`` for a part of a large one) in the
order numeric, summary, rfm, survival, stages, btyd, clv, contractual: append a new name at
the end of its domain's section. Every pyclass is ``@final`` (pyo3 classes cannot be
subclassed) and declares its constructor as ``__new__`` (pyo3's ``#[new]``).
"""

from typing import Any, Callable, ClassVar, Optional, Union

import numpy as np
import numpy.typing as npt
from typing_extensions import Self, final

_F64 = npt.NDArray[np.float64]

__version__: str

def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
def _panic_for_test() -> None: ...
def _busy_for_test(seconds: float) -> None: ...

# --- numeric: special functions ---
def ln_hyp2f1(
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    c: npt.NDArray[np.float64],
    z: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def trigamma(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def ln_hyperu(
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    z: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...

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
def summarize_log(
    ids: npt.NDArray[np.int64],
    n_codes: Optional[int],
    times: npt.NDArray[np.int64],
    ticks_per_second: int,
    values: Optional[npt.NDArray[np.float64]],
    freq: str,
    freq_multiplier: float,
    include_first_transaction: bool,
    observation_end_ns: Optional[int],
    columns: bool = False,
    last_tick: Optional[int] = None,
) -> dict[str, Any]: ...

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
    rules: list[
        tuple[str, Optional[tuple[int, int]], Optional[tuple[int, int]], Optional[tuple[int, int]]]
    ],
    bins: int,
    n_rows: int,
    r: Optional[npt.NDArray[np.float64]],
    f: Optional[npt.NDArray[np.float64]],
    m: Optional[npt.NDArray[np.float64]] = None,
) -> npt.NDArray[np.int16]: ...
def rfm_abc_classes(
    values: npt.NDArray[np.float64], a_cut: float, b_cut: float
) -> npt.NDArray[np.int8]: ...

@final
class RfmDimension:
    name: str
    column: str
    ascending: bool
    edges: list[float]
    def __new__(cls, name: str, column: str, ascending: bool, edges: list[float]) -> Self: ...

@final
class RfmScorerState:
    bins: int
    method: str
    weights: list[float]
    dimensions: list[RfmDimension]

def rfm_scorer_to_json(
    bins: int,
    method: str,
    weights: list[float],
    dimensions: list[RfmDimension],
) -> str: ...
def rfm_scorer_from_json(text: str) -> RfmScorerState: ...

# --- survival ---
# events: float64, int64, int32 or uint8 (bool bytes); None = all events
_Events = Optional[
    npt.NDArray[np.float64] | npt.NDArray[np.int64] | npt.NDArray[np.int32] | npt.NDArray[np.uint8]
]

@final
class CurveFit:
    """Event table and estimate (S for Kaplan-Meier, H for Nelson-Aalen) on its times."""

    @property
    def times(self) -> _F64: ...
    @property
    def removed(self) -> _F64: ...
    @property
    def observed(self) -> _F64: ...
    @property
    def censored(self) -> _F64: ...
    @property
    def entrance(self) -> _F64: ...
    @property
    def at_risk(self) -> _F64: ...
    @property
    def estimate(self) -> _F64: ...
    @property
    def variance(self) -> _F64: ...
    @property
    def lower(self) -> _F64: ...
    @property
    def upper(self) -> _F64: ...

@final
class CoxResult:
    """A Cox fit on the caller's covariates (standardised inside), on the caller's scale."""

    @property
    def params(self) -> _F64: ...
    @property
    def standard_errors(self) -> _F64: ...
    @property
    def covariance(self) -> _F64: ...  # row-major p x p
    @property
    def mean(self) -> _F64: ...
    @property
    def train_log_hazard(self) -> _F64: ...
    @property
    def log_likelihood(self) -> float: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def baseline_stratum(self) -> npt.NDArray[np.int64]: ...
    @property
    def baseline_time(self) -> _F64: ...
    @property
    def baseline_hazard(self) -> _F64: ...

@final
class ChurnTable:
    """One row per customer code: duration/event under the inactivity rule and covariates."""

    @property
    def customer(self) -> npt.NDArray[np.int64]: ...
    @property
    def duration(self) -> _F64: ...
    @property
    def event(self) -> _F64: ...
    @property
    def first_purchase_ns(self) -> npt.NDArray[np.int64]: ...
    @property
    def last_purchase_ns(self) -> npt.NDArray[np.int64]: ...
    @property
    def frequency(self) -> _F64: ...
    @property
    def recency(self) -> _F64: ...
    @property
    def monetary_value(self) -> _F64: ...
    @property
    def first_value(self) -> _F64: ...

def km_fit(
    durations: _F64,
    events: _Events,
    weights: Optional[_F64],
    entry: Optional[_F64],
    z: float,
    ci_transform: str,
) -> CurveFit: ...
def na_fit(
    durations: _F64,
    events: _Events,
    weights: Optional[_F64],
    entry: Optional[_F64],
    z: float,
) -> CurveFit: ...
def cox_fit(
    x: _F64,
    names: list[str],
    durations: _F64,
    events: _F64,
    weights: Optional[_F64],
    strata: Optional[npt.NDArray[np.int64]],
    ties: str,
    penalizer: float,
    l1_ratio: float,
    max_iter: int,
) -> CoxResult: ...
def check_covariates(x: _F64, names: list[str], allow_collinear: bool, hint: str) -> _F64: ...
def check_design_shape(n: int, p: int, arg: str) -> None: ...
def weibull_fit(
    x: _F64,
    intercept: int,
    durations: _F64,
    events: _F64,
    weights: Optional[_F64],
    max_iter: int,
) -> tuple[_F64, _F64, float, int]: ...
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
) -> ChurnTable: ...

# --- stages ---
@final
class StageParams:
    def __new__(
        cls,
        *,
        new_window: float,
        maturity_window: float,
        churn_window: Optional[float],
        at_risk_factor: float,
        churn_factor: float,
        median_ipt: float,
        at_risk_p: float,
        churn_p: float,
        p_alive_for_one_time: bool,
        enabled: list[bool],
    ) -> Self: ...

@final
class SnapshotSummaries:
    customer: npt.NDArray[np.int64]
    snapshot: npt.NDArray[np.int32]
    frequency: npt.NDArray[np.float64]
    recency: npt.NDArray[np.float64]
    T: npt.NDArray[np.float64]
    gap_before_last: npt.NDArray[np.float64]

@final
class SnapshotStages:
    customer: npt.NDArray[np.int64]
    snapshot: npt.NDArray[np.int32]
    stage: npt.NDArray[np.int32]
    reason: npt.NDArray[np.int32]
    p_alive: npt.NDArray[np.float64] | None

def assign_stage_codes(
    repeats: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64],
    t: npt.NDArray[np.float64],
    gap_before_last: npt.NDArray[np.float64],
    p_alive: Optional[npt.NDArray[np.float64]],
    custom: Optional[npt.NDArray[np.int32]],
    params: StageParams,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]: ...
def stage_rule_names() -> tuple[list[str], list[str]]: ...
def stage_reason_texts(
    codes: npt.NDArray[np.int32],
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    c: npt.NDArray[np.float64],
    templates: list[str],
    probability: list[bool],
    unit: str,
) -> tuple[npt.NDArray[np.int32], list[str]]: ...

@final
class SnapshotIndex:
    def __new__(
        cls,
        codes: npt.NDArray[np.int64],
        n_customers: int,
        times_ns: npt.NDArray[np.int64],
        snapshots_ns: npt.NDArray[np.int64],
        freq: str,
        freq_multiplier: float,
    ) -> Self: ...
    def summaries(self) -> SnapshotSummaries: ...
    def stages(self, params: StageParams, model: BtydFit | None = None) -> SnapshotStages: ...
    def at_last_snapshot(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
    def __len__(self) -> int: ...

# --- btyd ---
@final
class ModelKind:
    BG_NBD: ClassVar[ModelKind]
    MBG_NBD: ClassVar[ModelKind]
    PARETO_NBD: ClassVar[ModelKind]
    BG_BB: ClassVar[ModelKind]
    GAMMA_GAMMA: ClassVar[ModelKind]
    name: str
    param_names: list[str]
    @staticmethod
    def from_name(name: str) -> ModelKind: ...
    @staticmethod
    def all() -> list[ModelKind]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Callable[[str], ModelKind], tuple[str]]: ...

#: A door argument naming a model: its kind, or its name (parsed once, at the door).
_Model = Union[ModelKind, str]

@final
class BtydFit:
    model: str
    kind: ModelKind
    param_names: list[str]
    params: list[float]
    log_likelihood: float
    covariance: list[float]
    standard_errors: list[float]
    n_iter: int
    converged: bool
    grad_norm: float
    warnings: list[str]
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
    def from_json(text: str) -> BtydFit: ...
    @staticmethod
    def from_params(
        model: _Model, params: list[float], time_unit: Optional[tuple[str, float]] = None
    ) -> BtydFit: ...
    def with_params(self, params: list[float]) -> BtydFit: ...
    def loglik_rows(self, columns: list[_F64]) -> _F64: ...
    def p_alive(
        self, frequency: _F64, recency: _F64, t: _F64, periods_ahead: float = 0.0
    ) -> _F64: ...
    def conditional_expected_purchases(
        self, ts: list[float], frequency: _F64, recency: _F64, t: _F64
    ) -> _F64: ...
    def conditional_probability_of_n_purchases(
        self, t: float, n: float, frequency: _F64, recency: _F64, big_t: _F64
    ) -> _F64: ...
    def expected_purchases(self, t: _F64) -> _F64: ...
    def probability_of_n_purchases(self, t: _F64, n: _F64) -> _F64: ...
    def p_alive_grid(self, max_frequency: int, max_recency: int, big_t: float) -> _F64: ...
    def conditional_expected_purchases_grid(
        self, t: float, max_frequency: int, max_recency: int, big_t: float
    ) -> _F64: ...
    def conditional_expected_spend(self, frequency: _F64, monetary_value: _F64) -> _F64: ...
    def dert(
        self,
        discount_rate: float,
        horizon: float,
        frequency: _F64,
        recency: _F64,
        big_t: _F64,
    ) -> _F64: ...
    def generate(self, t: _F64, seed: int) -> dict[str, _F64]: ...

def btyd_fit(
    model: _Model,
    columns: list[npt.NDArray[np.float64]],
    weights: Optional[npt.NDArray[np.float64]],
    penalizer: float,
    initial_params: Optional[list[float]],
    tol: float,
    max_iter: int,
    time_unit: Optional[tuple[str, float]],
) -> BtydFit: ...

# --- btyd: evaluation hooks (clmkit.dask) ---
def btyd_loglik_grad(
    model: _Model,
    params: list[float],
    columns: list[npt.NDArray[np.float64]],
    weights: Optional[npt.NDArray[np.float64]] = None,
) -> tuple[float, list[float]]: ...
def btyd_check_data(model: _Model, columns: list[npt.NDArray[np.float64]]) -> None: ...
def btyd_model_layout(
    model: _Model,
) -> tuple[list[str], list[str], list[int], Optional[int], list[int]]: ...

# --- btyd: bootstrap (predict_interval) ---
def btyd_bootstrap_parametric(
    params: list[float],
    covariance: list[float],
    n_boot: int,
    seed: int,
) -> npt.NDArray[np.float64]: ...
def btyd_bootstrap_resample(
    model: _Model,
    columns: list[npt.NDArray[np.float64]],
    weights: Optional[npt.NDArray[np.float64]],
    params: list[float],
    penalizer: float,
    tol: float,
    max_iter: int,
    n_boot: int,
    seed: int,
) -> npt.NDArray[np.float64]: ...
def btyd_intervals(
    values: npt.NDArray[np.float64],
    level: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...

# --- clv ---
def clv_customer_lifetime_value(
    fit: BtydFit,
    spend: npt.NDArray[np.float64],
    frequency: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64],
    big_t: npt.NDArray[np.float64],
    horizon: int,
    period: float,
    discount_rate: float,
    continuous: bool,
    spend_params: Optional[list[float]] = None,
) -> npt.NDArray[np.float64]: ...
def clv_time_to_expected_purchases(
    fit: BtydFit,
    frequency: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64],
    big_t: npt.NDArray[np.float64],
    target: float,
    horizon: float,
    points: int,
) -> npt.NDArray[np.float64]: ...

# --- contractual ---
@final
class RetentionModel:
    kind: str
    params: list[float]
    def __new__(cls, kind: str, params: list[float]) -> Self: ...
    def survival(self, t: _F64) -> _F64: ...
    def churn_pmf(self, t: _F64) -> _F64: ...
    def retention_rate(self, t: _F64) -> _F64: ...
    def conditional_survival(self, t: _F64, renewals: _F64) -> _F64: ...
    def derl(self, renewals: _F64, discount_rate: float) -> tuple[_F64, _F64]: ...
    def expected_residual_lifetime(self, renewals: _F64) -> _F64: ...

def contractual_fit(
    kind: str,
    renewals: _F64,
    churned: _F64,
    weights: Optional[_F64],
    initial: Optional[list[float]],
    max_iter: int,
) -> tuple[RetentionModel, dict[str, Any]]: ...
def contractual_fit_survivors(
    kind: str, cohorts: list[_F64], initial: Optional[list[float]], max_iter: int
) -> tuple[RetentionModel, dict[str, Any]]: ...
def contractual_simulate(
    kind: str, params: list[float], horizons: _F64, seed: int
) -> tuple[_F64, _F64]: ...
def contractual_fit_covariates(
    kind: str,
    renewals: _F64,
    churned: _F64,
    weights: Optional[_F64],
    x: _F64,
    k: int,
    max_iter: int,
) -> dict[str, Any]: ...
def contractual_predict_covariates(
    kind: str,
    theta: list[float],
    x: _F64,
    k: int,
    t: _F64,
    what: str,
    discount_rate: float,
) -> tuple[_F64, _F64]: ...
def contractual_tenures(
    codes: npt.NDArray[np.int64],
    start_ns: npt.NDArray[np.int64],
    end_ns: Optional[npt.NDArray[np.int64]],
    start_period: npt.NDArray[np.int64],
    last_period: Optional[npt.NDArray[np.int64]],
    obs_ns: int,
    obs_period: int,
) -> dict[str, npt.NDArray[np.int64]]: ...
def optimize_newton(
    evaluate: Callable[[list[float]], tuple[float, list[float], list[float]]],
    x0: list[float],
    tol: float,
    max_iter: int,
) -> tuple[list[float], float, list[float], list[float], int]: ...
def optimize_covariance(hessian: list[float], params: list[float]) -> list[float]: ...

# --- btyd covariates ---
@final
class BtydCovariateFit:
    model: str
    kind: ModelKind
    param_names: list[str]
    params: list[float]
    all_params: list[float]
    log_likelihood: float
    covariance: list[float]
    standard_errors: list[float]
    n_iter: int
    converged: bool
    grad_norm: float
    warnings: list[str]
    n_patterns: int
    n_customers: float
    time_scale: float
    grouped: bool
    penalizer: float
    initial_params: Optional[list[float]]
    tol: float
    max_iter: int
    time_unit: Optional[tuple[str, float]]
    covariates: tuple[list[str], list[str], list[str], list[str], list[str]]
    covariate_penalizer: tuple[float, float, float]
    coefficients: list[tuple[str, str, float, float, int]]
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(text: str) -> BtydCovariateFit: ...
    def with_params(self, all_params: list[float]) -> BtydCovariateFit: ...
    def customer_params(self, z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
    def predict(
        self,
        quantity: str,
        args: list[float],
        columns: list[npt.NDArray[np.float64]],
        z: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.float64]: ...

def btyd_covariate_fit(
    model: _Model,
    columns: list[npt.NDArray[np.float64]],
    weights: Optional[npt.NDArray[np.float64]],
    z: npt.NDArray[np.float64],
    names: list[str],
    purchase: list[str],
    dropout: list[str],
    spend: list[str],
    constrained: list[str],
    penalizers: tuple[float, float, float],
    penalizer: float,
    initial_params: Optional[list[float]],
    tol: float,
    max_iter: int,
    time_unit: Optional[tuple[str, float]],
    group: Optional[bool] = None,
) -> BtydCovariateFit: ...
def chi2_sf(x: float, df: float) -> float: ...
def btyd_covariate_loglik(
    fit: BtydCovariateFit,
    columns: list[npt.NDArray[np.float64]],
    z: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def btyd_covariate_discounted_purchases(
    fit: BtydCovariateFit,
    columns: list[npt.NDArray[np.float64]],
    z: npt.NDArray[np.float64],
    horizon: int,
    period: float,
    discount_rate: float,
    continuous: bool,
) -> npt.NDArray[np.float64]: ...
def btyd_covariate_generate(
    fit: BtydCovariateFit,
    z: npt.NDArray[np.float64],
    length: npt.NDArray[np.float64],
    seed: int,
) -> dict[str, npt.NDArray[np.float64]]: ...
def btyd_covariate_second(
    model: _Model,
    columns: list[npt.NDArray[np.float64]],
    weights: Optional[npt.NDArray[np.float64]],
    z: npt.NDArray[np.float64],
    names: list[str],
    purchase: list[str],
    dropout: list[str],
    spend: list[str],
    constrained: list[str],
    penalizers: tuple[float, float, float],
    theta: list[float],
    scale: float,
) -> tuple[float, list[float], list[float], list[float]]: ...
