"""The jinja2 environment of the HTML reports (jinja2 is imported here, when rendering)."""

from __future__ import annotations

from typing import Any

__all__ = ["template_environment"]


def template_environment() -> Any:
    """The templates of ``clmkit/report/templates``, autoescaped; an ImportError saying how
    to install jinja2 when it is missing. (jinja2.Environment, Any to mypy: jinja2 is an
    optional extra that need not be installed where the package is type-checked.)"""
    try:
        import jinja2
    except ImportError as exc:
        raise ImportError("the HTML report needs jinja2: pip install 'clmkit[report]'") from exc
    return jinja2.Environment(
        loader=jinja2.PackageLoader("clmkit.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
