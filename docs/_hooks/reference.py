"""MkDocs hook: the API reference pages, generated at build time from the packages' ``__all__``.

The reference lists every public name through its public import path (``clmkit.BetaGeo``,
``clmkit.dask.fit``, ...), so modules can move between files and packages without breaking the
docs. Names are read statically (``ast``) from each package's ``__init__.py``: building the
docs needs neither the compiled Rust core nor clmkit's dependencies. A name is filed under the
domain of the module it is imported from (``from .btyd import BetaGeo`` -> "btyd").

``tests/test_docs_reference.py`` checks that the generated pages cover the runtime ``__all__``
and that the built site has an entry for every name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "python" / "clmkit"

# (page, package, title, intro): the public namespaces documented in the reference.
NAMESPACES = [
    ("dask", "clmkit.dask", "clmkit.dask", "Out-of-core summaries, fits and scores on Dask."),
    ("plotting", "clmkit.plotting", "clmkit.plotting", "Plots (matplotlib, optional extra)."),
    (
        "compat-lifetimes",
        "clmkit.compat.lifetimes",
        "clmkit.compat.lifetimes",
        "lifetimes 0.11.3's API on clmkit's engine.",
    ),
]

# Top-level names grouped by the domain they are imported from; unknown domains get a page of
# their own, named after the domain.
DOMAIN_TITLES = {
    "summary": "Transaction summaries",
    "rfm": "RFM scores, segments and ABC classes",
    "segments": "RFM scores, segments and ABC classes",
    "btyd": "Buy-till-you-die models",
    "clv": "Customer lifetime value",
    "value_formulas": "Customer lifetime value",
    "survival": "Survival models of churn",
    "contractual": "Contractual (subscription) models",
    "stages": "Lifecycle stages and cohorts",
    "cohorts": "Lifecycle stages and cohorts",
    "analyze": "Everything at once: analyze",
    "exceptions": "Errors, threads and data sets",
    "_core": "Errors, threads and data sets",
    "datasets": "Errors, threads and data sets",
}


def _init_file(package: str) -> Path:
    return PACKAGE_DIR.joinpath(*package.split(".")[1:], "__init__.py")


def public_names(package: str) -> list[tuple[str, str]]:
    """``(name, domain)`` for every name in ``package.__all__``, read without importing it.

    The domain is the first component of the relative module a name is imported from
    (``from .btyd.bgnbd import BetaGeo`` -> ``btyd``), the submodule's own name for
    ``from . import datasets``, and ``package`` for names defined in ``__init__`` itself.
    """
    tree = ast.parse(_init_file(package).read_text(encoding="utf-8"))
    origin: dict[str, str] = {}
    exported: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            for alias in node.names:
                bound = alias.asname or alias.name
                if node.module:
                    origin[bound] = node.module.split(".")[0]
                else:
                    origin[bound] = alias.name
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                value = ast.literal_eval(node.value) if node.value is not None else ()
                exported = [str(v) for v in value]
    return [(name, origin.get(name, package)) for name in exported]


def _entry(qualified: str) -> str:
    return f"::: {qualified}\n"


def reference_pages() -> dict[str, str]:
    """Page path (relative to docs/) -> markdown, for every page of the API reference."""
    groups: dict[str, list[str]] = {}
    for name, domain in public_names("clmkit"):
        title = DOMAIN_TITLES.get(domain, domain.strip("_").replace("_", " ").capitalize())
        groups.setdefault(title, []).append(name)
    order = list(dict.fromkeys(DOMAIN_TITLES.values()))
    groups = dict(sorted(groups.items(), key=lambda g: order.index(g[0]) if g[0] in order else 99))
    pages: dict[str, str] = {}
    index = ["# API reference\n", "Every public name, by its public import path.\n"]
    for title, names in groups.items():
        slug = "clmkit-" + "-".join(re.findall(r"[a-z0-9]+", title.lower()))
        path = f"reference/{slug}.md"
        body = [f"# {title}\n"] + [_entry(f"clmkit.{n}") for n in names]
        pages[path] = "\n".join(body)
        index.append(f"- [{title}]({slug}.md): " + ", ".join(f"`{n}`" for n in names))
    for slug, package, title, intro in NAMESPACES:
        names = [name for name, _ in public_names(package)]
        body = [f"# {title}\n", f"{intro}\n"] + [_entry(f"{package}.{n}") for n in names]
        pages[f"reference/{slug}.md"] = "\n".join(body)
        index.append(f"- [{title}]({slug}.md): " + ", ".join(f"`{n}`" for n in names))
    pages["reference/index.md"] = "\n".join(index) + "\n"
    return pages


# ---- MkDocs hook events -------------------------------------------------------------------


def on_config(config: Any) -> Any:
    """Replace the "API reference" entry of the navigation by the generated pages."""
    reference_nav: list[Any] = [{"Overview": "reference/index.md"}]
    for path, text in reference_pages().items():
        if path != "reference/index.md":
            reference_nav.append({text.splitlines()[0].lstrip("# ").strip(): path})
    config["nav"] = [
        {"API reference": reference_nav}
        if isinstance(item, dict) and "API reference" in item
        else item
        for item in config["nav"] or []
    ]
    return config


def on_files(files: Any, config: Any) -> Any:
    """Generated reference pages, served as if they were files in docs/."""
    from mkdocs.structure.files import File

    for path, text in reference_pages().items():
        files.append(File.generated(config, path, content=text))
    return files
