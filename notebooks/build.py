"""Writes the notebooks from the cells below and executes them in place (outputs saved).

Run ``python notebooks/build.py`` (or ``make notebooks``) after changing a cell or when a
feature lands: cells that need a part of clmkit this build lacks are left out, so every
saved notebook is exactly what CI re-executes (``pytest --nbmake notebooks``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import clmkit
import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from cells import NOTEBOOKS  # noqa: E402


def has(*names: str) -> bool:
    return all(hasattr(clmkit, n) for n in names)


def build(name: str, cells: list, execute: bool = True) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for cell in cells:
        kind, text, needs = cell if len(cell) == 3 else (*cell, ())
        if not has(*needs):
            continue
        nb.cells.append(
            nbformat.v4.new_markdown_cell(text.strip())
            if kind == "md"
            else nbformat.v4.new_code_cell(text.strip())
        )
    if execute:
        NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}
        ).execute()
    path = HERE / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    wanted = set(sys.argv[1:])
    for name, cells in NOTEBOOKS.items():
        if not wanted or name in wanted:
            print("built", build(name, cells))
