"""The ``clmkit`` command line (``clmkit report``, ``clmkit demo``; also ``python -m clmkit``).

- ``main``: the commands, the output folder's safety (temporary folder, signals, exit codes);
- ``args``: the flags of ``clmkit report``;
- ``inputs``: reading the transaction file with the flags' CSV options;
- ``messages``: errors in the command line's words (flags, rows counted from 1).
"""

from .main import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_TERMINATED, build_parser, main

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERRUPTED", "EXIT_TERMINATED", "build_parser", "main"]
