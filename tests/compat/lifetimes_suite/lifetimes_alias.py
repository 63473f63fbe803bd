"""pytest plugin: ``import lifetimes`` (and its submodules) resolves to clmkit's façade.

Loaded with ``-p lifetimes_alias`` before any test module is imported, so lifetimes' own
test files run unchanged against ``clmkit.compat.lifetimes``. It also maps
``pandas.util.testing`` (removed in pandas 2) to ``pandas.testing``: lifetimes' test_utils.py
imports ``assert_frame_equal`` from there; this is a shim for the test file, not the façade.
"""

from __future__ import annotations

import importlib
import sys
import types

_FACADE = "clmkit.compat.lifetimes"
# lifetimes' module layout -> the façade module that provides it.
_MODULES = {
    "lifetimes": _FACADE,
    "lifetimes.fitters": f"{_FACADE}.fitters",
    "lifetimes.fitters.beta_geo_fitter": f"{_FACADE}.fitters.beta_geo_fitter",
    "lifetimes.fitters.modified_beta_geo_fitter": f"{_FACADE}.fitters.modified_beta_geo_fitter",
    "lifetimes.fitters.pareto_nbd_fitter": f"{_FACADE}.fitters.pareto_nbd_fitter",
    "lifetimes.fitters.gamma_gamma_fitter": f"{_FACADE}.fitters.gamma_gamma_fitter",
    "lifetimes.fitters.beta_geo_beta_binom_fitter": f"{_FACADE}.fitters.beta_geo_beta_binom_fitter",
    "lifetimes.utils": f"{_FACADE}.utils",
    "lifetimes.datasets": f"{_FACADE}.datasets",
    "lifetimes.generate_data": f"{_FACADE}.generate_data",
    "lifetimes.plotting": f"{_FACADE}.plotting",
}


def install() -> None:
    """Registers the aliases in ``sys.modules`` (idempotent)."""
    for alias, target in _MODULES.items():
        sys.modules[alias] = importlib.import_module(target)
    if "pandas.util.testing" not in sys.modules:
        import pandas.testing

        shim = types.ModuleType("pandas.util.testing")
        shim.__dict__.update(
            {k: v for k, v in vars(pandas.testing).items() if not k.startswith("__")}
        )
        sys.modules["pandas.util.testing"] = shim


install()
