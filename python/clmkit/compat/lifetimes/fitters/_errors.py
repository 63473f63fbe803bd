"""lifetimes' own error messages, with clmkit's detail (argument, row, value) appended.

lifetimes' tests and users match its messages (``pytest.raises(ValueError, match=...)``,
``except ValueError as e: if "non-zero recency" in str(e)``); clmkit's errors say more. The
façade raises the same :class:`clmkit.exceptions.InvalidValueError` (a ValueError) whose
text starts with lifetimes' sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional

from ....exceptions import InvalidValueError

__all__ = ["LifetimesValueError", "lifetimes_message", "lifetimes_messages"]

# (argument, words of clmkit's reason) -> lifetimes 0.11.3's message (utils._check_inputs).
_MESSAGES = (
    ("recency", "must be <=", "Some values in recency vector are larger than T vector."),
    ("recency", "frequency is 0", "There exist non-zero recency values when frequency is zero."),
    (
        "recency",
        "must be >= 0",
        "There exist negative recency (ex: last order set before first order)",
    ),
    ("frequency", "whole number", "There exist non-integer values in the frequency vector."),
    (
        "monetary_value",
        "> 0",
        "There exist non-positive (<= 0) values in the monetary_value vector.",
    ),
)


class LifetimesValueError(InvalidValueError):
    """An :class:`InvalidValueError` whose message starts with lifetimes' sentence."""

    def __init__(self, err: InvalidValueError, message: str) -> None:
        super().__init__(err.arg, err.row, err.value, err.reason, err.position)
        self.lifetimes_message = message

    def __str__(self) -> str:
        return f"{self.lifetimes_message} ({super().__str__()})"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (
            _rebuild,
            (self.arg, self.row, self.value, self.reason, self.position, self.lifetimes_message),
        )


def _rebuild(arg, row, value, reason, position, message):  # type: ignore[no-untyped-def]
    return LifetimesValueError(InvalidValueError(arg, row, value, reason, position), message)


def lifetimes_message(err: InvalidValueError) -> Optional[str]:
    """lifetimes' sentence for a clmkit data error, or None when lifetimes had none."""
    for arg, words, message in _MESSAGES:
        if err.arg == arg and words in err.reason:
            return message
    return None


@contextmanager
def lifetimes_messages() -> Iterator[None]:
    """Re-raises clmkit's data errors with lifetimes' sentence in front."""
    try:
        yield
    except InvalidValueError as err:
        message = None if isinstance(err, LifetimesValueError) else lifetimes_message(err)
        if message is None:
            raise
        raise LifetimesValueError(err, message) from None
    except ValueError as err:
        # Errors clmkit words itself (e.g. Gamma-Gamma's advice on non-positive spend) start
        # with the argument's name like InvalidValueError's text.
        text = str(err)
        for arg, words, message in _MESSAGES:
            if text.startswith(f"{arg}: ") and words in text:
                raise ValueError(f"{message} ({text})") from None
        raise
