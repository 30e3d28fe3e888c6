"""`carepath bookings ...`: bookings before the visit day."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("bookings")
def bookings_group() -> None:
    """Bookings before the visit day."""


@bookings_group.command("release")
@with_appcontext
def bookings_release_command() -> None:
    """End the bookings whose window was missed (no-show) or whose unpaid hold ran out, and tell
    each patient once (the service also does it by itself every half minute)."""
    from api.jobs import release_missed_bookings

    released = release_missed_bookings()
    click.echo(
        f"{sum(released.values())} booking(s) released and told"
        + "".join(f"; {site}: {count}" for site, count in released.items())
    )
