"""Words and templates shared by the report pages: durations in words and the jinja2
environment (a leaf module, so the page builders can share it without importing each other)."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Optional

from .._typing import JSONDict

if TYPE_CHECKING:
    import jinja2

__all__ = ["duration_words", "environment", "horizon_words"]


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The page templates' environment, made once (it caches the compiled templates)."""
    try:
        import jinja2
    except ImportError as exc:
        raise ImportError("the HTML report needs jinja2: pip install 'clmkit[report]'") from exc
    return jinja2.Environment(
        loader=jinja2.PackageLoader("clmkit.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )


_UNIT_WORDS = {"H": "hour", "D": "day", "W": "week", "M": "month", "Y": "year"}


def horizon_words(settings: JSONDict) -> str:
    """ "365D" -> "365 days"; "3M" -> "3 months (91 days)"."""
    return duration_words(settings.get("horizon", ""), settings.get("horizon_days"))


def duration_words(duration: object, days: Optional[float] = None) -> str:
    """A duration option in words: "30D" -> "30 days"; "3M" with ``days`` -> "3 months (91
    days)"; anything else as given (or ``days`` in days when known)."""
    text = str(duration).strip()
    m = re.match(r"^(\d+(?:\.\d+)?)\s*([HDWMY])$", text, re.IGNORECASE)
    if m:
        n, unit = float(m.group(1)), _UNIT_WORDS[m.group(2).upper()]
        words = f"{n:g} {unit}{'' if n == 1 else 's'}"
        return words if unit == "day" or not days else f"{words} ({float(days):,.0f} days)"
    return f"{float(days):,.0f} days" if days else text
