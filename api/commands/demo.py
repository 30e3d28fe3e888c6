"""`carepath demo`: the demo hospital on the embedded defaults."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from api.commands import show_background_logs


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Only prepare the database.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Create or upgrade the database, load the demo hospital, then serve it."""
    from flask_migrate import upgrade
    from werkzeug.serving import run_simple

    from api.extensions import db
    from navigation.demo import DEMO_PASSWORD, load_demo

    upgrade()
    site = load_demo(db.session)
    db.session.commit()
    click.echo(
        f"Demo hospital '{site.code}' ready. Staff accounts reception, nurse, admin; password {DEMO_PASSWORD!r}."
    )
    click.echo(f"Database: {current_app.config['SQLALCHEMY_DATABASE_URI']}")
    if not no_serve:
        click.echo(
            f"Reception page: http://{host}:{port}/reception   API docs: http://{host}:{port}/api/docs"
        )
        show_background_logs()
        run_simple(host, port, current_app._get_current_object(), threaded=True)
