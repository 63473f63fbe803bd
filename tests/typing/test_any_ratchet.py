"""A ratchet on ``typing.Any`` in clmkit's annotations: each package may hold at most the
count it has now, so precise types (``clmkit._typing``) cannot slide back to ``Any``.

``Any`` is counted where a type checker reads it: names and ``typing.Any`` attributes in the
code (annotations, aliases, ``cast``), and inside string annotations; not in comments,
docstrings or imports. When a package's count goes down, lower its ceiling here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "python" / "clmkit"

#: Most ``Any`` per top-level package (a subpackage's folder, or a module's file name).
#: Those left are values that really are arbitrary: JSON read from a file, a third party's
#: untyped object (pyarrow, matplotlib's ``**kwargs`` passed through), ``**kwargs`` forwarded
#: to a model, numpy's ``dtype[Any]``.
CEILINGS: dict[str, int] = {
    "_io": 8,
    "_typing.py": 3,
    "analyze": 5,
    "btyd": 1,
    "compat": 60,
    "contractual": 11,
    "dask": 16,
    "plotting": 11,
    "report": 7,
    "summary": 3,
}


def _string_annotation_anys(node: ast.AST) -> int:
    """``Any`` inside string annotations (``"dict[str, Any]"``) below ``node``."""
    count = 0
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            try:
                parsed = ast.parse(sub.value, mode="eval")
            except SyntaxError:
                continue
            count += _code_anys(parsed)
    return count


def _code_anys(tree: ast.AST) -> int:
    names = sum(
        1
        for n in ast.walk(tree)
        if (isinstance(n, ast.Name) and n.id == "Any")
        or (isinstance(n, ast.Attribute) and n.attr == "Any")
    )
    return names


def count_any(source: str) -> int:
    """``Any`` a type checker reads in one module's source."""
    tree = ast.parse(source)
    count = _code_anys(tree)
    for node in ast.walk(tree):
        annotations: list[ast.AST] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            annotations += [a.annotation for a in every if a is not None and a.annotation]
            annotations += [node.returns] if node.returns is not None else []
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        for annotation in annotations:
            count += _string_annotation_anys(annotation)
    return count


def package_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        key = rel.parts[0]
        counts[key] = counts.get(key, 0) + count_any(path.read_text(encoding="utf-8"))
    return counts


def test_the_counter_reads_code_and_string_annotations_only() -> None:
    source = (
        "from typing import Any\n"
        "import typing\n"
        "# Any in a comment\n"
        "def f(x: Any, y: 'dict[str, Any]') -> typing.Any:\n"
        "    '''Any in a docstring'''\n"
        "    z: 'list[Any]' = []\n"
        "    return 'Any'\n"
        "Alias = dict[str, Any]\n"
    )
    # x, y's string, the return, z's string, the alias; not the import, comment, docstring
    # or the returned string
    assert count_any(source) == 5


@pytest.mark.parametrize("package", sorted(package_counts()))
def test_any_does_not_creep_back(package: str) -> None:
    count = package_counts()[package]
    ceiling = CEILINGS.get(package, 0)
    assert count <= ceiling, (
        f"python/clmkit/{package} has {count} `Any` annotations, more than its ceiling "
        f"{ceiling}: use a precise type from clmkit._typing (or a Protocol / TypedDict), or "
        "`object` for a value that is only checked at run time"
    )
