"""`carepath worker`: notification delivery and the periodic plan improvement."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from api.commands import show_background_logs


@click.command("worker")
@click.option("--burst", is_flag=True, help="Deliver what is due, then exit.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Background work: notification dispatch (woken through RQ when REDIS_URL is set, and a sweep
    of the outbox every CAREPATH_SWEEP_SECONDS) and the periodic improvement of each site's plan.
    Redis and database outages are waited out; the worker resumes by itself."""
    import redis
    import rq
    from sqlalchemy.orm import sessionmaker

    from api import worker
    from api.background import channel_environment
    from api.extensions import db
    from notifications import Dispatcher
    from notifications.jobs import QUEUE_NAME, dispatch_config_from_environment, transports_from_environment

    redis_url = current_app.config["REDIS_URL"]
    if burst:
        if redis_url:
            connection = redis.Redis.from_url(redis_url)
            rq.Worker([QUEUE_NAME], connection=connection).work(with_scheduler=True, burst=True)
        else:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            transports = transports_from_environment(channel_environment(app))
            dispatcher = Dispatcher(sessionmaker(db.engine), transports, dispatch_config_from_environment())
            reports = dispatcher.run_until_idle()
            click.echo(f"sent {sum(r.sent for r in reports)} message(s)")
        return
    show_background_logs()
    if not redis_url:
        click.echo("No REDIS_URL: delivering notifications in this process (Ctrl-C to stop).")
    worker.run(current_app._get_current_object(), current_app.config["SWEEP_SECONDS"])  # type: ignore[attr-defined]
