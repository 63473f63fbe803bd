"""The names a package offers (issue 16): every package of clmkit, private ones such as the
table layer ``_io`` included, lists in ``__all__`` only names without a leading underscore
(dunders aside), and every listed name exists; ``clmkit.__all__`` is what the README and
the API reference rely on.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import clmkit
import pytest

# Optional extras: a package that needs them is skipped when they are missing.
_EXTRAS = ("clmkit.dask", "clmkit.report", "clmkit.plotting", "clmkit.cli")


def _packages() -> list[str]:
    names = ["clmkit"]
    for info in pkgutil.walk_packages(clmkit.__path__, "clmkit."):
        if info.ispkg:
            names.append(info.name)
    return sorted(names)


PACKAGES = _packages()


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as err:
        if name.startswith(_EXTRAS):
            pytest.skip(f"{name} needs an optional dependency: {err}")
        raise


def test_the_walk_sees_the_domain_packages_and_the_table_layer() -> None:
    for name in ("clmkit._io", "clmkit.rfm", "clmkit.stages", "clmkit.survival", "clmkit.btyd"):
        assert name in PACKAGES


@pytest.mark.parametrize("name", PACKAGES)
def test_a_package_exports_no_private_names(name: str) -> None:
    module = _import(name)
    exported = list(getattr(module, "__all__", []))
    private = [n for n in exported if n.startswith("_") and not n.startswith("__")]
    assert private == []
    assert [n for n in exported if not hasattr(module, n)] == []
    assert len(exported) == len(set(exported)), "a name listed twice"
