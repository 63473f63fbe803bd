"""Lifecycle stages: assignment, stage history over snapshots, Markov dynamics, early
warning, cohort retention.

- :mod:`.scheme`: :class:`StageScheme` (rules, windows, labels) and its data-derived windows;
- :mod:`.assign`: :func:`assign_stages` (rules in ``src/stages/assign.rs``);
- :mod:`.history`: :func:`stage_history` (``src/stages/history.rs``);
- :mod:`.markov`: :func:`transition_matrix`, :func:`forecast_stages`, :func:`steady_state`;
- :mod:`.early_warning`: :func:`early_warning`;
- :mod:`.cohorts`: :func:`cohort_retention`, :func:`retention_rate`.
"""

from __future__ import annotations

from .assign import assign_stages
from .cohorts import cohort_retention, retention_rate
from .early_warning import early_warning
from .history import stage_history
from .markov import forecast_stages, steady_state, transition_matrix
from .scheme import StageScheme

__all__ = [
    "StageScheme",
    "assign_stages",
    "cohort_retention",
    "early_warning",
    "forecast_stages",
    "retention_rate",
    "stage_history",
    "steady_state",
    "transition_matrix",
]
