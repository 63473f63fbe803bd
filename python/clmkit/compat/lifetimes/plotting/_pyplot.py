"""matplotlib.pyplot for the lifetimes plots, imported on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["plt"]


class _LazyPyplot:
    """matplotlib.pyplot, imported on first use as lifetimes does (inside each plot), so this
    module imports without the optional extra and a plot call says how to install it."""

    def __getattr__(self, name: str) -> Any:
        try:
            from matplotlib import pyplot
        except ImportError as exc:  # the optional extra is not installed
            raise ImportError(
                "clmkit.compat.lifetimes.plotting needs matplotlib, an optional "
                "dependency: pip install 'clmkit[plot]' (or pip install matplotlib)"
            ) from exc
        return getattr(pyplot, name)


if TYPE_CHECKING:  # the type checker reads matplotlib's own types
    from matplotlib import pyplot as plt
else:
    plt = _LazyPyplot()
