"""MkDocs hook: pages whose source lives outside docs/ (notebooks, benchmark results, changelog).

They are served from their one source of truth instead of copies: the notebooks as saved with
their outputs (rendered by mkdocs-jupyter, never executed), ``benchmarks/RESULTS.md``,
``CHANGELOG.md``, ``LICENSE`` and the data sets' ``NOTICE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _licence_page() -> str:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    notice = (ROOT / "python" / "clmkit" / "datasets" / "NOTICE").read_text(encoding="utf-8")
    return (
        "# Licence and data notices\n\n"
        "clmkit is released under the MIT licence:\n\n"
        f"```text\n{licence}```\n\n"
        "The bundled data sets keep their own sources and terms "
        "(`clmkit/datasets/NOTICE`, shipped in the wheel):\n\n"
        f"```text\n{notice}```\n"
    )


GENERATED = ("benchmarks.md", "changelog.md", "licence.md")

# Links written for the repository's own layout, and where the site serves the same file.
REPOSITORY_LINKS = {
    "](../notebooks/": "](notebooks/",
    "](../benchmarks/RESULTS.md": "](benchmarks.md",
    "](../CHANGELOG.md": "](changelog.md",
}


def _served(target: str, docs_dir: Path) -> bool:
    return (
        (docs_dir / target).exists()
        or target in GENERATED
        or target.startswith(("reference/", "notebooks/"))
    )


def on_config(config: Any) -> Any:
    """List every notebook; leave out top-level entries whose page does not exist (yet).

    Pages other work streams write (e.g. ``architecture.md``) appear once they exist.
    """
    docs_dir = Path(config["docs_dir"])
    nav = []
    for item in config["nav"] or []:
        if isinstance(item, dict) and "Notebooks" in item:
            # Every notebook in notebooks/, titled by its first heading (mkdocs-jupyter).
            notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
            nav.append({"Notebooks": [f"notebooks/{n.name}" for n in notebooks]})
            continue
        if isinstance(item, dict) and len(item) == 1:
            ((_, target),) = item.items()
            if isinstance(target, str) and not _served(target, docs_dir):
                continue
        nav.append(item)
    config["nav"] = nav
    return config


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Rewrite links into repository folders that the site serves (top-level pages only)."""
    if "/" in page.file.src_uri:
        return markdown
    for repository, site in REPOSITORY_LINKS.items():
        markdown = markdown.replace(repository, site)
    return markdown


try:  # run before the plugins' on_files, so mkdocs-jupyter sees the notebooks
    from mkdocs.plugins import event_priority
except ImportError:  # imported outside MkDocs (tests)

    def event_priority(priority: float) -> Any:
        return lambda f: f


@event_priority(100)
def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        # A plain File whose source folder is the repository root (not a generated one):
        # mkdocs-jupyter finds the notebook through src_dir.
        files.append(
            File(
                f"notebooks/{notebook.name}",
                src_dir=str(ROOT),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    files.append(File.generated(config, "benchmarks.md", content=results))
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    files.append(File.generated(config, "changelog.md", content=changelog))
    files.append(File.generated(config, "licence.md", content=_licence_page()))
    return files
