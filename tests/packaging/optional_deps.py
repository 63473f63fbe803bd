"""pytest plugin for `make compat`: a test module that cannot be imported because an OPTIONAL
library is absent is reported as skipped (what ``pytest.importorskip`` does), not as a
collection error. Any other import failure, or a missing required library, still fails.

Use: ``PYTHONPATH=tests/packaging pytest -p optional_deps ...``.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

import pytest

# clmkit's optional extras and test-only references; numpy, pandas and narwhals are required.
OPTIONAL = {
    "polars",
    "pyarrow",
    "matplotlib",
    "dask",
    "distributed",
    "nbformat",
    "nbclient",
    "jinja2",
    "lifelines",
    "sklearn",
}
MISSING = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if not (report.failed and isinstance(collector, pytest.Module)):
        return
    found = MISSING.search(str(report.longrepr))
    if found and found.group(1).split(".")[0] in OPTIONAL:
        report.outcome = "skipped"
        report.longrepr = (str(collector.path), 0, f"optional {found.group(1)!r} is not installed")
