"""The self-contained HTML report of an :class:`clmkit.Analysis` (figures embedded as PNG)."""

from __future__ import annotations

from .render import render_report, write_report

__all__ = ["render_report", "write_report"]
