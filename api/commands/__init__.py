"""The `carepath` commands, one module each (registered by name in api/cli.py)."""

from __future__ import annotations

import logging


def show_background_logs() -> None:
    """Print what requests and the background threads do (plan improvements, deliveries) as
    JSON lines: the migrations' logging set-up silences everything below a warning."""
    from api.json_logs import configure_logging

    configure_logging(logging.INFO)
