"""The three floors, checked: every domain has the same name in the Rust core, in the door
and in the Python package, and pyo3 is used only behind the door (``src/python``).

Reads the source tree (not the installed wheel): skipped where the sources are not next to
the tests, e.g. when the tests run against an installed wheel elsewhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = ROOT / "python" / "clmkit"

# DESIGN.md, "Layout": one folder per domain on every floor; analyze composes the others
# and lives on the Python floor only.
RUST_DOMAINS = ("summary", "rfm", "btyd", "survival", "contractual", "stages", "clv")
PYTHON_ONLY = ("analyze",)

pytestmark = pytest.mark.skipif(not (SRC / "lib.rs").is_file(), reason="no source tree")


@pytest.mark.parametrize("domain", RUST_DOMAINS)
def test_every_domain_is_on_the_three_floors(domain: str) -> None:
    assert (SRC / domain / "mod.rs").is_file(), f"src/{domain}/mod.rs"
    door = SRC / "python" / f"{domain}.rs"
    assert door.is_file() or (SRC / "python" / domain / "mod.rs").is_file(), (
        f"no door src/python/{domain}.rs or src/python/{domain}/mod.rs"
    )
    assert (PACKAGE / domain / "__init__.py").is_file(), f"python/clmkit/{domain}/"


@pytest.mark.parametrize("domain", PYTHON_ONLY)
def test_composing_domains_are_python_packages(domain: str) -> None:
    assert (PACKAGE / domain / "__init__.py").is_file()


def _door_entries() -> list[str]:
    return sorted(p.name for p in (SRC / "python").iterdir() if p.name != "mod.rs")


def test_the_door_is_named_by_domain() -> None:
    """Every file or folder of src/python is a domain's door (``<domain>.rs`` or
    ``<domain>/``), so the door mirrors src/<domain>/."""
    allowed = {f"{d}.rs" for d in RUST_DOMAINS} | set(RUST_DOMAINS) | {"numeric.rs", "numeric"}
    strays = [e for e in _door_entries() if e not in allowed]
    assert strays == []


def test_the_btyd_door_is_one_module() -> None:
    """The btyd door is one folder (src/python/btyd/), not files named btyd_* or after a
    single model next to it."""
    assert (SRC / "python" / "btyd" / "mod.rs").is_file()
    assert [e for e in _door_entries() if e.startswith(("btyd_", "bgbb", "bootstrap"))] == []


_PYO3 = re.compile(r"\b(pyo3|numpy)::|#\[\s*(pyfunction|pyclass|pymethods|pymodule)\b")


def _code(text: str) -> str:
    """Rust source without its comments (line and block), so prose may name pyo3."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def test_pyo3_is_used_only_behind_the_door() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted(SRC.rglob("*.rs"))
        if not path.is_relative_to(SRC / "python")
        and _PYO3.search(_code(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_rust_modules_use_one_style() -> None:
    """``mod.rs`` folders, no ``#[path]`` attributes making files look like siblings."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted(SRC.rglob("*.rs"))
        if re.search(r"#\[\s*path\s*=", _code(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []
