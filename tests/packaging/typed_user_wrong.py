"""The negative control of typed_user.py: mypy must REJECT this script.

If the wheel's types were missing or degraded to Any, mypy would accept it and the check
would fail: this proves the annotations reach the user.
"""

from __future__ import annotations

import clmkit

model = clmkit.BetaGeo()
threads: str = clmkit.get_num_threads()  # an int, not a str
fitted: int = model.fit  # a method, not an int
