"""The matplotlib Axes type, for annotations outside ``clmkit.plotting``.

A model's ``plot()`` returns an Axes; importing this module only ``if TYPE_CHECKING`` keeps
matplotlib (an optional extra) out of the model modules: views stay leaves.
"""

from __future__ import annotations

from matplotlib.axes import Axes

__all__ = ["Axes"]
