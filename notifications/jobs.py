"""Background dispatch on RQ (`carepath worker`), configured from the environment.

The job is idempotent and safe to run in many workers at once (rows are leased), so the app
may enqueue it after every commit that added messages. When messages wait for a retry, the
job schedules itself for the earliest one (the worker needs RQ's scheduler:
`rq worker --with-scheduler`, which `carepath worker` should start).
"""

import os
from collections.abc import Mapping
from datetime import datetime

import rq
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from notifications.devices import SMS, WEBPUSH, WECHAT
from notifications.dispatcher import DispatchConfig, Dispatcher
from notifications.live import connect_redis
from notifications.preferences import parse_order
from notifications.transports.base import Transport
from notifications.transports.fcm import FcmTransport
from notifications.transports.log import LogTransport
from notifications.transports.sms import SmsTransport
from notifications.transports.webpush import WebPushTransport
from notifications.transports.wechat import WeChatTransport

DISPATCH_JOB = "notifications.jobs.dispatch_pending"
QUEUE_NAME = "notifications"


def transports_from_environment(environ: Mapping[str, str] = os.environ) -> list[Transport]:
    """Each configured channel (docs/notifications.md): FCM when a service-account file is named
    (CAREPATH_FCM_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS), else the log transport;
    WeChat, SMS and Web Push when configured, else (outside production) the log transport, so
    a development install runs every channel's flow without credentials. In production an
    unconfigured channel is left out and the dispatcher falls back past it."""
    store = connect_redis(environ["REDIS_URL"]) if environ.get("REDIS_URL") else None
    transports: list[Transport] = [FcmTransport.from_environment(environ) or LogTransport()]
    configured: dict[str, Transport | None] = {
        WEBPUSH: WebPushTransport.from_environment(environ),
        WECHAT: WeChatTransport.from_environment(environ, store),
        SMS: SmsTransport.from_environment(environ),
    }
    production = environ.get("CAREPATH_ENV") == "production"
    for channel, transport in configured.items():
        if transport is not None:
            transports.append(transport)
        elif not production:
            transports.append(LogTransport(channel))
    return transports


def dispatch_config_from_environment(environ: Mapping[str, str] = os.environ) -> DispatchConfig:
    """CAREPATH_DISPATCH_LEASE_SECONDS: how long a dead dispatcher's claimed messages wait
    before another one sends them (a live one renews its lease while it sends).
    CAREPATH_CHANNEL_ORDER: the channels after each patient's preference (fcm,webpush,wechat,sms).
    CAREPATH_ESCALATE_SECONDS: how long an unseen "your turn" waits before the next channel."""
    return DispatchConfig(
        lease_seconds=float(environ.get("CAREPATH_DISPATCH_LEASE_SECONDS", "120")),
        channel_order=parse_order(environ.get("CAREPATH_CHANNEL_ORDER")),
        escalate_after_seconds=float(environ.get("CAREPATH_ESCALATE_SECONDS", "60")),
    )


def dispatch_pending() -> dict[str, int]:
    """RQ job: deliver everything due now, then book a wake-up for the next retry."""
    if not os.environ.get("DATABASE_URL"):
        raise RuntimeError("the notification dispatch job needs DATABASE_URL")
    engine = sa.create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    transports = transports_from_environment()
    try:
        dispatcher = Dispatcher(sessionmaker(engine), transports, dispatch_config_from_environment())
        reports = dispatcher.run_until_idle()
        due = dispatcher.next_due()
    finally:
        engine.dispose()
        for transport in transports:  # their HTTP connections; a job's transports live one run
            close = getattr(transport, "close", None)
            if close is not None:
                close()
    job = rq.get_current_job()
    if due is not None and job is not None:
        book_wake_up(rq.Queue(job.origin, connection=job.connection), due)
    totals: dict[str, int] = {"claimed": 0, "sent": 0}
    for report in reports:
        totals["claimed"] += report.claimed
        totals["sent"] += report.sent
        for status, count in report.statuses.items():
            totals[status] = totals.get(status, 0) + count
    return totals


def book_wake_up(queue: rq.Queue, due: datetime) -> None:
    """Schedule a dispatch for `due`, unless one is already booked no later than that: every
    job that finds retries waiting would otherwise add its own."""
    registry = queue.scheduled_job_registry
    earliest = registry.get_job_ids(0, 0)
    if earliest and registry.get_scheduled_time(earliest[0]) <= due:
        return
    queue.enqueue_at(due, DISPATCH_JOB)


def request_dispatch(queue: rq.Queue) -> rq.job.Job:
    """What the app calls after committing messages when REDIS_URL is set."""
    return queue.enqueue(DISPATCH_JOB)
