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

from notifications import tracing
from notifications.db import NotificationsBase, UtcDateTime, utcnow
from notifications.events import POLICIES, Event
from notifications.recipients import Recipient, of, one_recipient, recipient
from notifications.templates import check_params, language_or_default, render


class Status(StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt
    DELIVERED = "delivered"  # every registered device acknowledged it
    FAILED = "failed"  # gave up (attempts exhausted or rejected): staff should look
    EXPIRED = "expired"  # its time-to-live ran out before it could be sent
    NO_DEVICE = "no_device"  # no phone registered: the patient sees it on the page only
    SUPERSEDED = "superseded"  # a newer message of the same kind replaced it before sending


class OutboxMessage(NotificationsBase):
    __tablename__ = "notification_outbox"
    __table_args__ = (
        sa.Index("ix_notification_outbox_due", "status", "next_attempt_at"),
        one_recipient("notification_outbox"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Travels in every push so the phone can drop duplicates (delivery is at-least-once).
    event_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    # A journey's message, or (before the day, when there is no journey yet) a booking's.
    journey_id: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    booking_id: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
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
    # Not sent before this (the evening before a booked visit); None: at once.
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A dispatcher owns the row until lease_until; a crashed one's rows come back after it.
    lease_owner: Mapped[str | None] = mapped_column(sa.String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # "channel:token" addresses that already acknowledged: a retry skips them.
    acknowledged: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The event's numbers (room, desk...), for channels that fill registered templates.
    params: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    # The channel that delivered it (or is being tried), and those given up on for it: failed
    # for good, or already tried before an escalation.
    channel: Mapped[str | None] = mapped_column(sa.String(16))
    skipped_channels: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # The patient saw it (page opened, push opened, "I'm here"); until then, a message whose
    # event escalates is re-sent on the next channel at escalate_at.
    seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    escalate_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    escalations: Mapped[int] = mapped_column(default=0)
    # the request that queued it (notifications/tracing.py): its delivery is logged under it
    request_id: Mapped[str | None] = mapped_column(sa.String(64))


def enqueue(
    session: Session,
    journey_id: int | Recipient,
    event: Event | str,
    language: str | None,
    *,
    step_id: str | int | None = None,
    now: datetime | None = None,
    **params: int | str,
) -> OutboxMessage:
    """Add a message to the caller's transaction (never commits); returns it for its event_id.

    `journey_id` may be a booking's `Recipient` instead. A message that replaces the previous
    one of its kind (see events.POLICIES) also marks that one superseded if it is still waiting.

    `params` are the event's numbers (see templates.PARAMS), e.g.
    `enqueue(s, 42, Event.TURN_NOW, "zh", step_id=7, room="3-12", desk=2)`.
    """
    event = Event(event)
    now = now or utcnow()
    lang = language_or_default(language)
    text = render(event, lang, params)
    numbers = {name: str(value) for name, value in check_params(event, params).items()}
    who = recipient(journey_id)
    message = OutboxMessage(
        event_id=str(uuid.uuid4()),
        journey_id=who.journey_id,
        booking_id=who.booking_id,
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
        params=numbers,
        skipped_channels=[],
        escalations=0,
        request_id=tracing.request_id(),
    )
    if POLICIES[event].replaces_previous:
        # Sent late after a retry, an older "plan changed" would replace the newer one on the
        # phone (same tag): drop it while still unsent. Still the caller's transaction.
        session.execute(
            sa.update(OutboxMessage)
            .where(
                of(OutboxMessage, who),
                OutboxMessage.event == event.value,
                OutboxMessage.status == Status.PENDING.value,
            )
            .values(status=Status.SUPERSEDED.value, finished_at=now)
        )
    session.add(message)
    return message


def enqueue_at(
    session: Session,
    who: Recipient,
    event: Event,
    language: str | None,
    not_before: datetime,
    *,
    now: datetime,
    **params: str,
) -> OutboxMessage:
    """`enqueue`, but the message waits until `not_before` (the evening before a booked visit):
    the dispatcher claims it then, and its time-to-live counts from then."""
    message = enqueue(session, who, event, language, now=now, **params)
    due = max(now, not_before)
    message.expires_at += due - now
    message.next_attempt_at, message.not_before = due, not_before
    return message


def withdraw(session: Session, who: Recipient, events: Collection[Event], now: datetime) -> int:
    """Messages of these kinds not sent yet will not be: the booking they were about moved or
    ended (no "come tomorrow" for a cancelled visit). In the caller's transaction; returns how many."""
    result = session.execute(
        sa.update(OutboxMessage)
        .where(
            of(OutboxMessage, who),
            OutboxMessage.event.in_([e.value for e in events]),
            OutboxMessage.status == Status.PENDING.value,
            OutboxMessage.lease_until.is_(None) | (OutboxMessage.lease_until <= now),
        )
        .values(status=Status.SUPERSEDED.value, finished_at=now),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


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
    channel: str | None  # the channel that delivered it, or is being tried
    escalations: int
    seen_at: datetime | None


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
            journey_id=row.journey_id or 0,  # journey rows only: every caller selects by journey
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
            channel=row.channel,
            escalations=row.escalations,
            seen_at=row.seen_at,
        )
        for row in rows
    ]


def mark_seen(session: Session, journey_id: int, now: datetime, event_id: str | None = None) -> int:
    """The patient has seen their messages (opened the page or the push, or said "I'm here"):
    nothing of theirs sent so far is escalated any more. Returns how many were unseen."""
    query = sa.update(OutboxMessage).where(
        OutboxMessage.journey_id == journey_id,
        OutboxMessage.seen_at.is_(None),
        OutboxMessage.created_at <= now,
    )
    if event_id is not None:
        query = query.where(OutboxMessage.event_id == event_id)
    result = session.execute(
        query.values(seen_at=now, escalate_at=None), execution_options={"synchronize_session": False}
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


SEEN_EVENTS = tuple(event.value for event, policy in POLICIES.items() if policy.escalates)


def unseen_calls(session: Session, journey_ids: Collection[int]) -> set[tuple[int, str]]:
    """(journey, step) pairs whose latest "your turn" the patient has not seen yet: the nurse
    board marks them, so staff call out or look for the patient."""
    latest = (
        sa.select(sa.func.max(OutboxMessage.id))
        .where(OutboxMessage.journey_id.in_(list(journey_ids)), OutboxMessage.event.in_(SEEN_EVENTS))
        .group_by(OutboxMessage.journey_id, OutboxMessage.step_id)
    )
    rows = session.execute(
        sa.select(OutboxMessage.journey_id, OutboxMessage.step_id).where(
            OutboxMessage.id.in_(latest.scalar_subquery()), OutboxMessage.seen_at.is_(None)
        )
    )
    return {(journey_id, step_id or "") for journey_id, step_id in rows}


def message_for_phone(session: Session, journey_id: int, event_id: str) -> OutboxMessage | None:
    """What the phone page fetches after a push: the detail text, only for its own journey."""
    return session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.event_id == event_id, OutboxMessage.journey_id == journey_id
        )
    )
