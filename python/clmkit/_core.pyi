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

# --- stages ---
# params: (new_window, maturity_window, churn_window, at_risk_factor, median_ipt,
#          at_risk_p, churn_p, p_alive_for_one_time, enabled (7 bools))
StageParamsTuple = tuple[float, float, float, float, float, float, float, bool, list[bool]]

def assign_stage_codes(
    repeats: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64],
    t: npt.NDArray[np.float64],
    gap_before_last: npt.NDArray[np.float64],
    p_alive: Optional[npt.NDArray[np.float64]],
    custom: Optional[npt.NDArray[np.int32]],
    params: StageParamsTuple,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]: ...
def stage_rule_names() -> tuple[list[str], list[str]]: ...

class SnapshotIndex:
    def __init__(
        self,
        codes: npt.NDArray[np.int64],
        n_customers: int,
        times_ns: npt.NDArray[np.int64],
        snapshots_ns: npt.NDArray[np.int64],
        freq: str,
        freq_multiplier: float,
    ) -> None: ...
    def summaries(self) -> dict[str, np.ndarray]: ...
    def stages(self, params: StageParamsTuple) -> dict[str, np.ndarray]: ...
    def at_last_snapshot(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
    def __len__(self) -> int: ...
