"""``python -m clmkit`` runs the command-line interface."""

from .cli.main import console_main

raise SystemExit(console_main())
