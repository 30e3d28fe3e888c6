"""`carepath demo`: the demo hospital on the embedded defaults."""

from __future__ import annotations

from datetime import time

import click
from flask import current_app
from flask.cli import with_appcontext

from api.commands import show_background_logs


def _local_time(_ctx: click.Context, _param: click.Parameter, value: str | None) -> time | None:
    from navigation.demo.clock import parse_local_time

    if value is None:
        return None
    try:
        return parse_local_time(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Only prepare the database.")
@click.option(
    "--clock",
    "clock_at",
    metavar="HH:MM",
    callback=_local_time,
    help="Start the hospital's clock at this local time today; it then runs in real time.",
)
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool, clock_at: time | None) -> None:
    """Create or upgrade the database, load the demo hospital, then serve it (never in production:
    its accounts have a published password)."""
    if current_app.config["CAREPATH_ENV"] == "production":
        raise click.ClickException(
            "the demo refuses to run with CAREPATH_ENV=production: its staff accounts have a published "
            "password. Create real accounts with `carepath staff create`."
        )
    from flask_migrate import upgrade
    from werkzeug.serving import run_simple

    from api.extensions import db
    from navigation.demo import DEMO_PASSWORD, DEMO_STAFF, load_demo
    from navigation.demo.clock import OffsetClock

    upgrade()
    current_app.config["DEMO_RESULTS"] = True  # the demo has no lab system: results come when due
    site = load_demo(db.session)
    db.session.commit()
    if clock_at is not None:
        current_app.config["CLOCK"] = OffsetClock(clock_at, site.timezone)
        click.echo(f"Hospital clock: {clock_at:%H:%M} {site.timezone} now, running in real time.")
    click.echo(
        f"Demo hospital '{site.code}' ready. Staff accounts {', '.join(DEMO_STAFF)}; "
        f"password {DEMO_PASSWORD!r} (unless changed since)."
    )
    click.echo(
        "Second hospital 'riverside': reception-riverside, nurse-riverside, admin-riverside (same password)."
    )
    click.echo(f"Database: {current_app.config['SQLALCHEMY_DATABASE_URI']}")
    if not no_serve:
        click.echo(f"Start here: http://{host}:{port}/   API docs: http://{host}:{port}/api/docs")
        show_background_logs()
        run_simple(host, port, current_app._get_current_object(), threaded=True)
