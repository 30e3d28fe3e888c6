"""Per-process background plumbing: the live-updates broker, the notification dispatcher and
the day-plan improver.

Without REDIS_URL (the embedded default) live updates fan out in-process, and the serving
process runs a dispatcher thread that delivers the outbox and an improver thread that
improves each site's plan every few minutes. With REDIS_URL live updates go through Redis
pub/sub, each commit that wrote messages enqueues the RQ dispatch job, and `carepath worker`
runs the improver, so web processes only answer requests. Any number of processes may run
an improver: the database hands each site's turn to one of them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import rq
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import sessionmaker

from api.extensions import db
from navigation import aftercommit
from navigation.models import utcnow
from notifications import (
    BackgroundDispatcher,
    Dispatcher,
    broker_from_environment,
    connect_redis,
    request_dispatch,
)
from notifications.jobs import QUEUE_NAME, dispatch_config_from_environment, transports_from_environment

logger = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    redis_url = app.config["REDIS_URL"]
    app.extensions["carepath.broker"] = broker_from_environment({"REDIS_URL": redis_url or ""})
    if redis_url:
        app.extensions["carepath.rq"] = rq.Queue(QUEUE_NAME, connection=connect_redis(redis_url))
    else:
        # Started by the first request, in the serving process: CLI commands and a
        # forking server's parent never run a dispatcher of their own.
        app.before_request(_start_inprocess_dispatcher)
    aftercommit.register(_after_commit)


_starting = threading.Lock()


def _start_inprocess_dispatcher() -> None:
    app = current_app
    if not app.config.get("CAREPATH_INPROCESS_WORKER", not app.testing):
        return  # read per request: a test may turn the threads off after creating the app
    with _starting:
        if "carepath.dispatcher" in app.extensions:
            return
        clock = app.config.get("CLOCK", utcnow)  # the demo's clock may run at another hour
        worker = BackgroundDispatcher(app_dispatcher(app, clock))
        app.extensions["carepath.dispatcher"] = worker
        worker.start()
        improver = PlanImprover(app._get_current_object())  # type: ignore[attr-defined]
        app.extensions["carepath.improver"] = improver
        improver.start()


class PlanImprover:
    """A thread that asks, every half minute, whether a site's plan is due for improvement,
    which bookings' windows were missed or holds ran out (and, in the demo, which results are
    out); each round also forgets expired idempotency keys."""

    POLL_SECONDS = 30.0

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="carepath-improver", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def run_once(self) -> dict[str, str]:
        from api.jobs import (
            forget_expired_keys,
            improve_due_sites,
            release_demo_results,
            release_missed_bookings,
        )

        with self.app.app_context():
            try:
                forget_expired_keys()
                if self.app.config.get("DEMO_RESULTS"):
                    release_demo_results()
                for site, count in release_missed_bookings().items():
                    logger.info("bookings at %s: %d missed or unpaid released", site, count)
                return improve_due_sites(self.app.config["IMPROVE_EVERY"], self.app.config["IMPROVE_SECONDS"])
            finally:
                db.session.remove()

    def _run(self) -> None:
        while not self.stopping.wait(self.POLL_SECONDS):
            try:
                for site, outcome in self.run_once().items():
                    logger.info("plan improvement at %s: %s", site, outcome)
            except Exception:  # a database hiccup must not end the thread; try again later
                logger.exception("plan improvement round failed")


def app_dispatcher(app: Flask, clock: Callable[[], datetime] = utcnow) -> Dispatcher:
    """The outbox's dispatcher as the app's configuration and environment set it up: the web
    process's thread and `carepath worker`'s sweep deliver alike."""
    return Dispatcher(
        sessionmaker(db.engine),
        transports_from_environment(channel_environment(app)),
        dispatch_config_from_environment(),
        clock=clock,
    )


def channel_environment(app: Flask) -> dict[str, str]:
    """The environment the channels read, with the key phone numbers are encrypted under
    (in development the generated SECRET_KEY, which the environment does not hold)."""
    return {**os.environ, "CAREPATH_PHONE_KEY": phone_key(app)}


def phone_key(app: Flask) -> str:
    return str(app.config.get("PHONE_KEY") or app.config["SECRET_KEY"])


def broker():
    return current_app.extensions["carepath.broker"]


def _after_commit(items: list[tuple[str, Any]]) -> None:
    if not has_app_context():
        return
    app = current_app
    for kind, payload in items:
        if kind == "live":
            channel, event = payload
            app.extensions["carepath.broker"].publish(channel, event)
    if any(kind == "outbox" for kind, _ in items):
        if "carepath.rq" in app.extensions:
            request_dispatch(app.extensions["carepath.rq"])
        elif "carepath.dispatcher" in app.extensions:
            app.extensions["carepath.dispatcher"].wake()
