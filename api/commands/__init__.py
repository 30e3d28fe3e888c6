"""The `carepath` commands, one module each (registered by name in api/cli.py)."""

from __future__ import annotations

import logging


def show_background_logs() -> None:
    """Print what the background threads do (plan improvements, deliveries): the migrations'
    logging set-up silences everything below a warning."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)-5.5s [%(name)s] %(message)s")
    for name in ("api", "navigation", "notifications"):
        logging.getLogger(name).setLevel(logging.INFO)
