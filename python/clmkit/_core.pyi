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
) -> dict[str, Any]: ...
