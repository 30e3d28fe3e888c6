"""What the outbox counts for operators: deliveries and failures per channel, and its backlog.

Counters are per process (summed across gunicorn workers at scrape time); the backlog is read
from the outbox table when `/metrics` is scraped, so every process reports the same figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from prometheus_client import Counter
from sqlalchemy.orm import Session

from notifications.devices import Device
from notifications.outbox import OutboxMessage, Status
from notifications.transports.base import Outcome

DELIVERIES = Counter(
    "carepath_notification_deliveries_total", "Messages a channel acknowledged, per channel.", ["channel"]
)
FAILURES = Counter(
    "carepath_notification_failures_total",
    "Sends that did not reach the device, per channel and outcome (retry, rejected, address_gone).",
    ["channel", "outcome"],
)
NO_DEVICE = "none"  # pending for a journey with no registered device (the page shows it anyway)


@dataclass(frozen=True)
class Backlog:
    channel: str
    pending: int
    oldest_age_s: float


def pending_by_channel(session: Session, now: datetime) -> list[Backlog]:
    """Messages still to send, per channel (the one being tried, else the patient's devices'),
    and the oldest one's age."""
    channel = sa.func.coalesce(OutboxMessage.channel, Device.channel, NO_DEVICE)
    queued = sa.func.coalesce(OutboxMessage.not_before, OutboxMessage.created_at)  # scheduled: from then
    rows = session.execute(
        sa.select(channel, sa.func.count(OutboxMessage.id.distinct()), sa.func.min(queued))
        .select_from(OutboxMessage)
        .outerjoin(
            Device,
            sa.or_(
                Device.journey_id == OutboxMessage.journey_id, Device.booking_id == OutboxMessage.booking_id
            ),
        )
        # A booking's "prepare tonight" is no backlog before its evening.
        .where(
            OutboxMessage.status == Status.PENDING.value,
            sa.or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
        )
        .group_by(channel)
    )
    return [Backlog(name, count, max(0.0, (now - oldest).total_seconds())) for name, count, oldest in rows]


def count_outcome(channel: str, outcome: Outcome) -> None:
    if outcome is Outcome.ACKNOWLEDGED:
        DELIVERIES.labels(channel).inc()
    else:
        FAILURES.labels(channel, outcome.value).inc()
