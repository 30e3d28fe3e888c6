"""Per-process background plumbing: the live-updates broker and the notification dispatcher.

Without REDIS_URL (the embedded default) live updates fan out in-process and a dispatcher
thread delivers the outbox; with REDIS_URL live updates go through Redis pub/sub and each
commit that wrote messages enqueues the RQ dispatch job for `carepath worker`.
"""

from __future__ import annotations

import threading
from typing import Any

import redis
import rq
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import sessionmaker

from api.extensions import db
from navigation import aftercommit
from notifications import BackgroundDispatcher, Dispatcher, broker_from_environment, request_dispatch
from notifications.jobs import QUEUE_NAME, transports_from_environment


def init_app(app: Flask) -> None:
    redis_url = app.config["REDIS_URL"]
    app.extensions["carepath.broker"] = broker_from_environment({"REDIS_URL": redis_url or ""})
    if redis_url:
        connection = redis.Redis.from_url(redis_url)
        app.extensions["carepath.rq"] = rq.Queue(QUEUE_NAME, connection=connection)
    elif app.config.get("CAREPATH_INPROCESS_WORKER", not app.testing):
        # Started by the first request, in the serving process: CLI commands and a
        # forking server's parent never run a dispatcher of their own.
        app.before_request(_start_inprocess_dispatcher)
    aftercommit.register(_after_commit)


_starting = threading.Lock()


def _start_inprocess_dispatcher() -> None:
    app = current_app
    with _starting:
        if "carepath.dispatcher" in app.extensions:
            return
        worker = BackgroundDispatcher(Dispatcher(sessionmaker(db.engine), transports_from_environment()))
        app.extensions["carepath.dispatcher"] = worker
        worker.start()


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
