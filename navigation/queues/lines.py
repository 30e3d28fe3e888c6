"""A room's line: the lock, the order, tickets, history rows, and a patient joining it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, contains_eager, joinedload

from navigation import audit
from navigation.errors import Conflict, NotFound
from navigation.models import (
    EntryStatus,
    QueueEntry,
    QueueEvent,
    Room,
    RoomQueue,
    RoomStatus,
    StaffUser,
    Task,
    TaskStatus,
)
from navigation.sequencing.model import NO_STATION, Placement, Rule
from navigation.sequencing.slack import call_delay
from navigation.task_states import mark

E = EntryStatus
LINE = (E.WAITING, E.SKIPPED)  # in line and callable, in order_key order
ACTIVE = (E.WAITING, E.SKIPPED, E.ON_HOLD, E.CALLED, E.IN_SERVICE, E.NO_SHOW)
BUSY = (E.CALLED, E.IN_SERVICE)

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
PRIORITY_SHIFT = 1_000_000.0  # seconds per priority level: priority outranks any arrival time
LATE_TOLERANCE = timedelta(minutes=10)  # later than this after the planned time: the slot is lost
TURN_SOON_AHEAD = 2

# What the patient's step shows for each queue status (task.business_status).
BUSINESS_STATUS = {
    E.WAITING: "arrived",
    E.SKIPPED: "arrived",
    E.ON_HOLD: "on-hold",
    E.CALLED: "called",
    E.IN_SERVICE: "in-service",
    E.NO_SHOW: "no-show",
    E.DONE: "done",
}


class StaleEntry(Conflict):
    """The client's If-Match version is not the entry's: nothing changed; here is the current state."""

    def __init__(self, entry: QueueEntry, sent: int):
        super().__init__(
            f"ticket {entry.ticket} changed since you loaded it (version {sent}, now {entry.version}); "
            "nothing was done",
            field="If-Match",
        )
        self.entry = entry


class QueueEmpty(Conflict):
    pass


class WrongRoom(Conflict):
    """The patient is at a room that is not theirs: the message says where to go."""


@dataclass
class QueueChange:
    """What an operation touched: re-plan exactly these journeys and rooms, nothing else."""

    entry: QueueEntry | None = None
    journey_ids: set[int] = field(default_factory=set)
    room_ids: set[int] = field(default_factory=set)
    message: str = ""

    def touch(self, entry: QueueEntry | None = None, *, room_id: int | None = None) -> None:
        if entry is not None:
            self.journey_ids.add(entry.journey_id)
            self.room_ids.add(entry.queue.room_id)
        if room_id is not None:
            self.room_ids.add(room_id)


def actor_name(actor: StaffUser | None) -> str:
    return f"staff:{actor.id}" if actor else "patient"


def seconds(at: datetime) -> float:
    return (at - EPOCH).total_seconds()


def base_key(task: Task, arrived: datetime, priority: int) -> float:
    """Planned time if the patient came on time, else arrival; each priority level goes first.

    A patient on time whose day would not get longer by waiting (their day ends with another
    exam's report) counts as due later, by half that slack up to an hour: the room takes first whoever
    would lose a minute of stay for each minute here (`sequencing.slack`)."""
    planned = task.planned_start
    if planned is None or arrived > planned + LATE_TOLERANCE:
        return seconds(arrived) - priority * PRIORITY_SHIFT
    return seconds(planned) + 60 * _call_delay(task) - priority * PRIORITY_SHIFT


def _call_delay(task: Task) -> float:
    """Minutes the step may wait without delaying the journey's planned end, capped."""
    journey = task.journey
    live = {t.id: t for t in journey.tasks if t.status not in (TaskStatus.CANCELLED, TaskStatus.FAILED)}
    plan = []
    for t in live.values():
        start, end = t.started_at or t.planned_start, t.completed_at or t.planned_end
        if start is not None and end is not None:
            a = round(seconds(start) / 60)
            plan.append(
                Placement(str(journey.id), t.key, None, NO_STATION, a, max(a + 1, round(seconds(end) / 60)))
            )
    rules = [
        Rule(live[d.before_id].key, live[d.after_id].key, d.min_gap_min)
        for d in journey.dependencies
        if d.before_id in live and d.after_id in live
    ]
    done = [t.key for t in live.values() if t.status == TaskStatus.COMPLETED]
    return call_delay(plan, rules, task.key, done)


# ---- the lock ------------------------------------------------------------------------------


def queue_for_room(session: Session, room: Room) -> RoomQueue:
    """The room's queue row, created once (concurrent creators agree on one row)."""
    queue = session.scalar(sa.select(RoomQueue).where(RoomQueue.room_id == room.id))
    if queue is not None:
        return queue
    dialect = session.get_bind().dialect.name
    values = {"site_id": room.site_id, "room_id": room.id, "last_ticket": 0}
    if dialect == "postgresql":
        session.execute(
            pg_insert(RoomQueue).values(**values).on_conflict_do_nothing(index_elements=["room_id"])
        )
    elif dialect == "sqlite":
        session.execute(
            sqlite_insert(RoomQueue).values(**values).on_conflict_do_nothing(index_elements=["room_id"])
        )
    else:  # pragma: no cover - other databases: a plain insert
        session.add(RoomQueue(**values))
        session.flush()
    return session.scalars(sa.select(RoomQueue).where(RoomQueue.room_id == room.id)).one()


def lock_queues(session: Session, queue_ids: Iterable[int]) -> dict[int, RoomQueue]:
    """Serialise on the queues' rows (in id order, so two lockers never deadlock).

    On PostgreSQL this is SELECT ... FOR UPDATE: a second nurse's call-next waits here until
    the first commits, then sees the first's call. SQLite has one writer at a time anyway.
    """
    ids = sorted(set(queue_ids))
    rows = session.scalars(
        sa.select(RoomQueue)
        .where(RoomQueue.id.in_(ids))
        .order_by(RoomQueue.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {row.id: row for row in rows}


def line(session: Session, queue_ids: Iterable[int], limit: int | None = None) -> list[QueueEntry]:
    """Callable entries of these queues, first to be called first (read after locking)."""
    query = (
        sa.select(QueueEntry)
        .where(QueueEntry.queue_id.in_(list(queue_ids)), QueueEntry.status.in_(LINE))
        .order_by(QueueEntry.order_key, QueueEntry.id)
        .options(joinedload(QueueEntry.task))
        .execution_options(populate_existing=True)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def first_callable(
    session: Session, queue_ids: list[int], now: datetime, batch: int = 50
) -> Iterator[QueueEntry]:
    """The line in order, without those whose step may not start yet (a gap after a result)."""
    offset = 0
    while True:
        rows = session.scalars(
            sa.select(QueueEntry)
            .join(Task, QueueEntry.task_id == Task.id)
            .where(
                QueueEntry.queue_id.in_(queue_ids),
                QueueEntry.status.in_(LINE),
                sa.or_(Task.not_before.is_(None), Task.not_before <= now),
            )
            .order_by(QueueEntry.order_key, QueueEntry.id)
            .options(contains_eager(QueueEntry.task))
            .offset(offset)
            .limit(batch)
            .execution_options(populate_existing=True)
        ).all()
        yield from rows
        if len(rows) < batch:
            return
        offset += batch


def at_desks(session: Session, queue: RoomQueue) -> list[QueueEntry]:
    """Who holds the room's desks now: the latest called or in service, at most one per desk."""
    return list(
        session.scalars(
            sa.select(QueueEntry)
            .where(QueueEntry.queue_id == queue.id, QueueEntry.status.in_(BUSY))
            .order_by(QueueEntry.called_at.desc(), QueueEntry.id.desc())
            .limit(max(1, queue.room.stations))
            .options(joinedload(QueueEntry.task))
        )
    )


def entries_in(session: Session, queue_id: int, statuses: Iterable[EntryStatus]) -> list[QueueEntry]:
    return list(
        session.scalars(
            sa.select(QueueEntry)
            .where(QueueEntry.queue_id == queue_id, QueueEntry.status.in_(list(statuses)))
            .order_by(QueueEntry.order_key, QueueEntry.id)
            .options(joinedload(QueueEntry.task))
            .execution_options(populate_existing=True)
        )
    )


def next_ticket(queue: RoomQueue, now: datetime, timezone: str) -> str:
    """Numbers restart each day in the hospital's time zone (call under the queue's lock)."""
    day = now.astimezone(ZoneInfo(timezone)).date().isoformat()
    if queue.ticket_day != day:
        queue.ticket_day, queue.last_ticket = day, 0
    queue.last_ticket += 1
    return f"{queue.last_ticket:03d}"


# ---- finding things ------------------------------------------------------------------------


def room_for_staff(session: Session, code: str, site_id: int | None) -> Room:
    query = sa.select(Room).where(Room.code == code)
    if site_id is not None:
        query = query.where(Room.site_id == site_id)
    rooms = session.scalars(query).all()
    if len(rooms) != 1:
        raise NotFound(f"no room {code} at your site", field="room")
    return rooms[0]


def entry_for_staff(session: Session, entry_id: int, site_id: int | None) -> QueueEntry:
    entry = session.get(QueueEntry, entry_id)
    if entry is None or (site_id is not None and entry.site_id != site_id):
        raise NotFound(f"no queue entry {entry_id}", field="entry_id")
    return entry


def locked_entry(
    session: Session, entry_id: int, site_id: int | None, version: int | None, *extra_queue_ids: int
) -> tuple[QueueEntry, dict[int, RoomQueue]]:
    """The entry, fresh, with its queue (and any extra queues) locked; refuse a stale version."""
    entry = entry_for_staff(session, entry_id, site_id)
    for _ in range(5):
        queue_id = entry.queue_id
        locked = lock_queues(session, [queue_id, *extra_queue_ids])
        session.refresh(entry)
        if entry.queue_id == queue_id:  # not moved away while we waited for the lock
            break
    else:  # pragma: no cover - moved five times in a row
        raise Conflict("this patient is being moved; try again")
    if version is not None and version != entry.version:
        raise StaleEntry(entry, version)
    return entry, locked


def require(entry: QueueEntry, allowed: Iterable[EntryStatus], doing: str) -> None:
    allowed = tuple(allowed)
    if entry.status not in allowed:
        wanted = " or ".join(s.value.replace("_", " ") for s in allowed)
        raise Conflict(
            f"ticket {entry.ticket} is {entry.status.value.replace('_', ' ')}; "
            f"only a {wanted} ticket can be {doing}",
            field="status",
        )


# ---- history -------------------------------------------------------------------------------

SNAPSHOT = (
    "queue_id",
    "ticket",
    "status",
    "priority",
    "order_key",
    "desk",
    "recalls",
    "called_at",
    "grace_until",
    "turn_soon_sent",
)


def snapshot(entry: QueueEntry) -> dict[str, Any]:
    """What undo needs to put an entry (and its step's room) back exactly as it was."""
    data: dict[str, Any] = {}
    for name in SNAPSHOT:
        value = getattr(entry, name)
        data[name] = value.isoformat() if isinstance(value, datetime) else value
    data["status"] = entry.status.value
    data["planned_room_id"] = entry.task.planned_room_id
    return data


def restore(entry: QueueEntry, data: dict[str, Any]) -> None:
    for name in SNAPSHOT:
        value = data[name]
        if name in ("called_at", "grace_until") and value is not None:
            value = datetime.fromisoformat(value)
        if name == "status":
            value = EntryStatus(value)
        setattr(entry, name, value)
    entry.task.planned_room_id = data["planned_room_id"]


def last_undoable(queue_id: int) -> sa.Select[tuple[QueueEvent]]:
    """The room's newest staff operation not undone yet: what undo takes back next."""
    return (
        sa.select(QueueEvent)
        .where(
            QueueEvent.queue_id == queue_id,
            QueueEvent.actor_id.is_not(None),
            QueueEvent.action != "undo",
            QueueEvent.undone_by_id.is_(None),
        )
        .order_by(QueueEvent.id.desc())
        .limit(1)
    )


def record(
    session: Session,
    change: QueueChange,
    queue: RoomQueue,
    entry: QueueEntry,
    action: str,
    actor: StaffUser | None,
    now: datetime,
    *,
    before: dict[str, Any] | None = None,
    reason: str | None = None,
    **detail: Any,
) -> QueueEvent:
    """One operation on one entry: bump its version, append the event, audit staff actions."""
    entry.version += 1
    from_status = before["status"] if before else None
    event = QueueEvent(
        queue_id=queue.id,
        entry_id=entry.id,
        action=action,
        from_status=from_status,
        to_status=entry.status.value,
        actor=actor_name(actor),
        actor_id=actor.id if actor else None,
        reason=reason,
        at=now,
        detail=detail,
        before=before,
        version_after=entry.version,
    )
    session.add(event)
    if actor is not None:
        audit.record(
            session,
            actor,
            f"queue.{action}",
            "queue_entry",
            entry.id,
            site_id=entry.site_id,
            now=now,
            room=queue.room.code,
            ticket=entry.ticket,
            reason=reason,
            **detail,
        )
    change.touch(entry)
    return event


def sync_step(
    entry: QueueEntry,
    actor: StaffUser | None,
    now: datetime,
    reason: str | None = None,
    *,
    tell: bool = False,
    category: str | None = None,
) -> None:
    """Keep the step's queue-level status (what the patient's page shows) in step with the entry.
    With `tell`, the reason goes on the step (its status reason, and the category the patient
    reads) even if the status stays."""
    wanted = BUSINESS_STATUS[entry.status]
    if entry.task.status in (TaskStatus.COMPLETED, TaskStatus.CANCELLED, TaskStatus.FAILED):
        return
    if entry.task.business_status != wanted or (tell and reason):
        mark(entry.task, wanted, actor=actor_name(actor), now=now, reason=reason)
    if tell and reason:
        entry.task.status_reason, entry.task.status_category = reason, category


# ---- a patient joins -----------------------------------------------------------------------


def where(room: Room) -> str:
    return f"room {room.code} (building {room.floor.building.code}, floor {room.floor.ordinal})"


def rooms_performing(session: Session, task: Task, site_id: int, *, open_only: bool = True) -> list[Room]:
    statuses = [RoomStatus.OPEN] if open_only else [RoomStatus.OPEN, RoomStatus.PAUSED]
    rooms = session.scalars(
        sa.select(Room).where(Room.site_id == site_id, Room.status.in_(statuses)).order_by(Room.code)
    )
    return [r for r in rooms if r.serves(task)]


def active_entry(session: Session, task: Task) -> QueueEntry | None:
    return session.scalar(
        sa.select(QueueEntry)
        .where(QueueEntry.task_id == task.id, QueueEntry.status.in_(ACTIVE))
        .order_by(QueueEntry.id.desc())
        .limit(1)
    )


def _refuse_a_second_line(session: Session, task: Task) -> None:
    """One line at a time: a patient in line elsewhere is told where their ticket is."""
    elsewhere = session.scalar(
        sa.select(QueueEntry)
        .where(
            QueueEntry.journey_id == task.journey_id,
            QueueEntry.task_id != task.id,
            QueueEntry.status.in_([*LINE, E.ON_HOLD, *BUSY]),
        )
        .limit(1)
    )
    if elsewhere is not None:
        raise Conflict(
            f"you are in line at {where(elsewhere.queue.room)} with ticket {elsewhere.ticket} "
            f"for '{elsewhere.task.name_en}'; one line at a time",
            field="task_id",
        )


def join(
    session: Session,
    task: Task,
    now: datetime,
    *,
    room_code: str | None = None,
    soon_ahead: int = TURN_SOON_AHEAD,
) -> QueueChange:
    """The patient says "I'm here" (on the phone or by the room's QR code) and joins the line.

    A patient at the wrong room is refused with where to go; saying it twice changes nothing;
    a no-show who comes back rejoins (at their old place within the grace period).
    """
    journey = task.journey
    room = task.planned_room
    if room is None or room.status == RoomStatus.CLOSED:
        candidates = rooms_performing(session, task, journey.site_id, open_only=False)
        room = candidates[0] if candidates else None
    if room is None:
        raise Conflict(f"no open room performs '{task.name_en}' now; please ask at the desk", field="task_id")
    if room_code is not None and room_code != room.code:
        here = session.scalar(sa.select(Room).where(Room.site_id == journey.site_id, Room.code == room_code))
        if here is None:
            raise NotFound(f"no room {room_code} here", field="room")
        if room.status == RoomStatus.OPEN or not here.serves(task):
            raise WrongRoom(
                f"This is room {here.code}. Please go to {where(room)} for '{task.name_en}'.", field="room"
            )
        room = here
    _refuse_a_second_line(session, task)
    change = QueueChange()
    existing = active_entry(session, task)
    if existing is not None and existing.status != E.NO_SHOW:
        change.entry = existing
        return change
    queue = queue_for_room(session, room) if existing is None else existing.queue
    lock_queues(session, [queue.id])
    if existing is not None:
        session.refresh(existing)
        return rejoin_entry(session, existing, None, now, soon_ahead=soon_ahead)
    entry = QueueEntry(
        site_id=journey.site_id,
        queue=queue,
        task=task,
        journey=journey,
        ticket=next_ticket(queue, now, journey.site.timezone),
        status=E.WAITING,
        priority=journey.priority,
        order_key=base_key(task, now, journey.priority),
        joined_at=now,
        recalls=0,
        turn_soon_sent=False,
        version=0,
    )
    session.add(entry)
    task.planned_room_id = room.id
    session.flush()
    record(session, change, queue, entry, "join", None, now, room=room.code)
    sync_step(entry, None, now)
    seen_on_phone(session, entry, soon_ahead)
    change.entry = entry
    return change


def rejoin_entry(
    session: Session,
    entry: QueueEntry,
    actor: StaffUser | None,
    now: datetime,
    *,
    soon_ahead: int = TURN_SOON_AHEAD,
) -> QueueChange:
    """A no-show is back: their old place within the grace period, the end of the line after it."""
    require(entry, [E.NO_SHOW], "rejoined")
    change = QueueChange(entry=entry)
    before = snapshot(entry)
    in_grace = entry.grace_until is not None and now <= entry.grace_until
    if not in_grace:  # behind everyone of the same priority who waits now
        entry.order_key = seconds(now) - entry.priority * PRIORITY_SHIFT
        same = [e.order_key for e in line(session, [entry.queue.id]) if e.priority == entry.priority]
        entry.order_key = max([entry.order_key, *(k + 1.0 for k in same)])
    entry.status, entry.grace_until, entry.turn_soon_sent = E.WAITING, None, False
    record(session, change, entry.queue, entry, "rejoin", actor, now, before=before, kept_place=in_grace)
    sync_step(entry, actor, now)
    seen_on_phone(session, entry, soon_ahead)
    return change


def seen_on_phone(session: Session, entry: QueueEntry, soon_ahead: int) -> None:
    """A patient who joins close to the front is at the room reading their place on the phone, and
    one just told "plan changed" reads it there too: no extra "your turn soon" push for them."""
    waiting = line(session, [entry.queue.id], limit=soon_ahead + 1)
    if entry in waiting and waiting.index(entry) <= soon_ahead:
        entry.turn_soon_sent = True
