"""The transactional outbox: a message is written in the same transaction as its cause.

`enqueue` only adds a row to the caller's session. If the caller's transaction rolls back, the
message never existed; if it commits, the dispatcher will deliver it at least once. A request
handler therefore never talks to FCM.
"""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from notifications.db import NotificationsBase, UtcDateTime, utcnow
from notifications.events import POLICIES, Event
from notifications.templates import language_or_default, render


class Status(StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt
    DELIVERED = "delivered"  # every registered device acknowledged it
    FAILED = "failed"  # gave up (attempts exhausted or rejected): staff should look
    EXPIRED = "expired"  # its time-to-live ran out before it could be sent
    NO_DEVICE = "no_device"  # no phone registered: the patient sees it on the page only
    SUPERSEDED = "superseded"  # a newer message of the same kind replaced it before sending


class OutboxMessage(NotificationsBase):
    __tablename__ = "notification_outbox"
    __table_args__ = (sa.Index("ix_notification_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Travels in every push so the phone can drop duplicates (delivery is at-least-once).
    event_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    journey_id: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    step_id: Mapped[str | None] = mapped_column(sa.String(64))
    event: Mapped[str] = mapped_column(sa.String(32))
    language: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.String(200))
    detail: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(16), default=Status.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # A dispatcher owns the row until lease_until; a crashed one's rows come back after it.
    lease_owner: Mapped[str | None] = mapped_column(sa.String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # "channel:token" addresses that already acknowledged: a retry skips them.
    acknowledged: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


def enqueue(
    session: Session,
    journey_id: int,
    event: Event | str,
    language: str | None,
    *,
    step_id: str | int | None = None,
    now: datetime | None = None,
    **params: int | str,
) -> OutboxMessage:
    """Add a message to the caller's transaction (never commits); returns it for its event_id.

    A message that replaces the previous one of its kind (see events.POLICIES) also marks
    that one superseded if it is still waiting.

    `params` are the event's numbers (see templates.PARAMS), e.g.
    `enqueue(s, 42, Event.TURN_NOW, "zh", step_id=7, room="3-12", desk=2)`.
    """
    event = Event(event)
    now = now or utcnow()
    lang = language_or_default(language)
    text = render(event, lang, params)
    message = OutboxMessage(
        event_id=str(uuid.uuid4()),
        journey_id=journey_id,
        step_id=None if step_id is None else str(step_id),
        event=event.value,
        language=lang,
        title=text.title,
        body=text.body,
        detail=text.detail,
        status=Status.PENDING.value,
        attempts=0,
        created_at=now,
        expires_at=now + timedelta(seconds=POLICIES[event].ttl_seconds),
        next_attempt_at=now,
        acknowledged=[],
    )
    if POLICIES[event].replaces_previous:
        # Sent late after a retry, an older "plan changed" would replace the newer one on the
        # phone (same tag): drop it while still unsent. Still the caller's transaction.
        session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.journey_id == journey_id,
                OutboxMessage.event == event.value,
                OutboxMessage.status == Status.PENDING.value,
            )
            .values(status=Status.SUPERSEDED.value, finished_at=now)
        )
    session.add(message)
    return message


@dataclass(frozen=True)
class DeliveryState:
    """One message as staff see it (no lock-screen text: that is the same for everyone)."""

    journey_id: int
    event_id: str
    event: str
    step_id: str | None
    status: str
    attempts: int
    devices_acknowledged: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    finished_at: datetime | None


def delivery_states(session: Session, journey_id: int) -> list[DeliveryState]:
    """A journey's messages, oldest first, for the staff view."""
    rows: Sequence[OutboxMessage] = session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.journey_id == journey_id).order_by(OutboxMessage.id)
    ).all()
    return _states(rows)


UNDELIVERED = (Status.FAILED.value, Status.EXPIRED.value)


def undelivered(session: Session, journey_ids: Collection[int]) -> list[DeliveryState]:
    """Messages of these journeys that never reached a phone (given up, or out of time), newest
    first: staff tell those patients in person."""
    rows: Sequence[OutboxMessage] = session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.journey_id.in_(list(journey_ids)), OutboxMessage.status.in_(UNDELIVERED))
        .order_by(OutboxMessage.id.desc())
    ).all()
    return _states(rows)


def _states(rows: Sequence[OutboxMessage]) -> list[DeliveryState]:
    return [
        DeliveryState(
            journey_id=row.journey_id,
            event_id=row.event_id,
            event=row.event,
            step_id=row.step_id,
            status=row.status,
            attempts=row.attempts,
            devices_acknowledged=len(row.acknowledged or []),
            last_error=row.last_error,
            created_at=row.created_at,
            next_attempt_at=row.next_attempt_at if row.status == Status.PENDING else None,
            finished_at=row.finished_at,
        )
        for row in rows
    ]


def message_for_phone(session: Session, journey_id: int, event_id: str) -> OutboxMessage | None:
    """What the phone page fetches after a push: the detail text, only for its own journey."""
    return session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.event_id == event_id, OutboxMessage.journey_id == journey_id
        )
    )
