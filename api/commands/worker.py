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
    """Background work: notification dispatch (on RQ when REDIS_URL is set, else in this process)
    and the periodic improvement of each site's plan."""
    import redis
    import rq
    from sqlalchemy.orm import sessionmaker

    from api.background import PlanImprover
    from api.extensions import db
    from notifications import BackgroundDispatcher, Dispatcher
    from notifications.jobs import QUEUE_NAME, transports_from_environment

    redis_url = current_app.config["REDIS_URL"]
    if burst:
        if redis_url:
            connection = redis.Redis.from_url(redis_url)
            rq.Worker([QUEUE_NAME], connection=connection).work(with_scheduler=True, burst=True)
        else:
            reports = Dispatcher(sessionmaker(db.engine), transports_from_environment()).run_until_idle()
            click.echo(f"sent {sum(r.sent for r in reports)} message(s)")
        return
    show_background_logs()
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
