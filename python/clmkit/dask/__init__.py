"""clmkit on Dask: the per-customer summary, model fitting and scoring of logs that do not fit
in one machine's memory, with results identical to the in-memory functions.

Install with ``pip install 'clmkit[dask]'``. Dask schedules everything; clmkit's Rust kernels
release the GIL, so threaded workers scale. Each worker process runs its own kernel thread
pool: set ``CLMKIT_NUM_THREADS`` on the workers to the cores per worker (see
``docs/snippets/dask.md``).
"""

from __future__ import annotations

from ._analyze import DaskAnalysis, analyze
from ._fit import fit
from ._score import score
from ._summary import summarize

__all__ = ["summarize", "fit", "score", "analyze", "DaskAnalysis"]
