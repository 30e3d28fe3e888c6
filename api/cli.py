"""The `carepath` console command: Flask's CLI with CarePath's commands (demo, db, ...)."""

from __future__ import annotations

import logging
from pathlib import Path

import click
import redis
import rq
import sqlalchemy as sa
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import run_simple

from api.background import PlanImprover
from api.extensions import db
from api.jobs import improve_day
from navigation.demo import DEMO_PASSWORD, load_demo
from navigation.errors import DomainError
from navigation.models import Site
from navigation.routing import install_map
from navigation.simulation.command import simulate_command
from notifications import BackgroundDispatcher, Dispatcher
from notifications.jobs import QUEUE_NAME, transports_from_environment


def _create_app():
    from api import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """CarePath: patient navigation for hospitals."""


main.add_command(simulate_command)


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Only prepare the database.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Create or upgrade the database, load the demo hospital, then serve it."""
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
        _show_background_logs()
        run_simple(host, port, current_app._get_current_object(), threaded=True)


def _show_background_logs() -> None:
    """Print what the background threads do (plan improvements, deliveries): the migrations'
    logging set-up silences everything below a warning."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)-5.5s [%(name)s] %(message)s")
    for name in ("api", "navigation", "notifications"):
        logging.getLogger(name).setLevel(logging.INFO)


@main.group("map")
def map_group() -> None:
    """Building maps: import a CarePath JSON map or an IMDF archive."""


@map_group.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--site", "site_code", required=True, help="Site code; created if it does not exist.")
@with_appcontext
def map_import_command(path: Path, site_code: str) -> None:
    """Validate and load PATH as the site's map; errors refuse it and the old map stays."""
    site = db.session.scalar(sa.select(Site).where(Site.code == site_code))
    if site is None:
        site = Site(code=site_code, name_en=site_code, name_zh=site_code)
        db.session.add(site)
        db.session.flush()
    try:
        report = install_map(db.session, site, path)
    except DomainError as exc:
        db.session.rollback()
        for code, problems in exc.errors.items():
            click.echo(f"error {code}: {'; '.join(problems)}", err=True)
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    for warning in report.get("warnings", []):
        ids = ", ".join(warning["ids"][:10]) + (" ..." if len(warning["ids"]) > 10 else "")
        click.echo(f"warning {warning['code']}: {warning['message']} ({ids})")
    click.echo(f"Map of site {site_code!r} loaded from {path}.")


@main.command("worker")
@click.option("--burst", is_flag=True, help="Deliver what is due, then exit.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Background work: notification dispatch (on RQ when REDIS_URL is set, else in this process)
    and the periodic improvement of each site's plan."""
    redis_url = current_app.config["REDIS_URL"]
    if burst:
        if redis_url:
            connection = redis.Redis.from_url(redis_url)
            rq.Worker([QUEUE_NAME], connection=connection).work(with_scheduler=True, burst=True)
        else:
            reports = Dispatcher(sessionmaker(db.engine), transports_from_environment()).run_until_idle()
            click.echo(f"sent {sum(r.sent for r in reports)} message(s)")
        return
    _show_background_logs()
    improver = PlanImprover(current_app._get_current_object())  # type: ignore[attr-defined]
    improver.start()
    try:
        if redis_url:
            connection = redis.Redis.from_url(redis_url)
            rq.Worker([QUEUE_NAME], connection=connection).work(with_scheduler=True)
            return
        click.echo("No REDIS_URL: delivering notifications in this process (Ctrl-C to stop).")
        worker = BackgroundDispatcher(Dispatcher(sessionmaker(db.engine), transports_from_environment()))
        worker.start()
        try:
            while worker.thread is not None and worker.thread.is_alive():
                worker.thread.join(1)
        except KeyboardInterrupt:
            worker.stop()
    finally:
        improver.stop()


@main.group("plan")
def plan_group() -> None:
    """The day's plan: improve everyone's times with the sequencer."""


@plan_group.command("improve")
@click.option("--site", "site_code", default="demo", show_default=True)
@click.option("--seconds", default=10.0, show_default=True, help="Time budget for the solver.")
@with_appcontext
def plan_improve_command(site_code: str, seconds: float) -> None:
    """Improve today's plan for every patient of the site now (the service also does it by itself
    every CAREPATH_IMPROVE_EVERY_S seconds)."""
    improvement = improve_day(site_code, seconds)
    result = improvement.result
    click.echo(
        f"cost {result.cost_before} -> {result.cost_after} after {result.iterations} neighbourhoods "
        f"in {result.seconds:.1f}s; {len(improvement.moved)} patient(s) told of a change"
    )
