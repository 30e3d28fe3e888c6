"""Room queues: a patient's place in line for one step, every change kept as an event.

The queue row is also the lock: every operation on a room's line locks its `room_queue` row
first (SELECT ... FOR UPDATE on PostgreSQL), so two nurses never call the same patient and
nobody jumps the line while another operation holds it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from navigation.models.base import Base, str_enum, utcnow
from navigation.models.hospital import Room
from navigation.models.journey import Journey, Task


class EntryStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    IN_SERVICE = "in_service"
    DONE = "done"
    NO_SHOW = "no_show"
    SKIPPED = "skipped"  # back in line, N places later
    ON_HOLD = "on_hold"  # kept aside (not callable) until released


class RoomQueue(Base):
    """One line per room; holds the ticket counter and the room's pause."""

    __tablename__ = "room_queue"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("room.id", ondelete="CASCADE"), unique=True)
    ticket_day: Mapped[str | None] = mapped_column(sa.String(10))
    last_ticket: Mapped[int] = mapped_column(default=0)
    paused_at: Mapped[datetime | None]
    paused_until: Mapped[datetime | None]
    pause_reason: Mapped[str | None] = mapped_column(sa.String(400))
    room: Mapped[Room] = relationship()


class QueueEntry(Base):
    """A patient's place in a room's line for one step. `version` answers If-Match."""

    __tablename__ = "queue_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    queue_id: Mapped[int] = mapped_column(sa.ForeignKey("room_queue.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"), index=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journey.id", ondelete="CASCADE"), index=True)
    ticket: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[EntryStatus] = mapped_column(str_enum(EntryStatus, "queue_entry_status"), index=True)
    priority: Mapped[int] = mapped_column(default=0)
    # Smaller is called first: plan or arrival time in seconds, minus a large shift per priority.
    order_key: Mapped[float]
    desk: Mapped[int | None]
    recalls: Mapped[int] = mapped_column(default=0)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    called_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    grace_until: Mapped[datetime | None]
    turn_soon_sent: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    queue: Mapped[RoomQueue] = relationship()
    task: Mapped[Task] = relationship()
    journey: Mapped[Journey] = relationship()


class QueueEvent(Base):
    """History of a line: every operation is a new row (never an overwrite); undo reads `before`."""

    __tablename__ = "queue_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(sa.ForeignKey("room_queue.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("queue_entry.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(32))
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str | None] = mapped_column(sa.String(16))
    actor: Mapped[str] = mapped_column(sa.String(64))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_user.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(sa.String(400))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    version_after: Mapped[int | None]
    undone_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("queue_event.id", ondelete="SET NULL"))


class ServiceTime(Base):
    """Observed minutes per service in a room, as a moving average: the basis of wait estimates."""

    __tablename__ = "service_time"
    __table_args__ = (sa.UniqueConstraint("room_id", "service_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("room.id", ondelete="CASCADE"))
    service_key: Mapped[str] = mapped_column(sa.String(64))
    avg_minutes: Mapped[float]
    samples: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
