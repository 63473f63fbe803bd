"""One call from a transaction log to one customer table: :func:`analyze`.

- ``pipeline``: :func:`analyze`, the order of the steps and their options;
- ``steps``: each step composes public clmkit functions into columns of the table;
- ``intervals``: the CLV interval from the transaction model's fit (no refits);
- ``result``: :class:`Analysis`, its headline numbers and the files it writes.
"""

from .pipeline import analyze
from .result import Analysis

__all__ = ["Analysis", "analyze"]
