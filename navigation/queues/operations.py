"""What a nurse does to a line: call, recall, start, complete, skip, no-show, move, priority,
hold, pause and resume the room, undo. Each locks the queue(s) first, checks the entry's
version (If-Match), keeps history and an audit record, and tells the patients it affects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation import audit, progress
from navigation.errors import Conflict, DomainError
from navigation.models import (
    EntryStatus,
    Journey,
    QueueEntry,
    QueueEvent,
    Room,
    RoomQueue,
    RoomStatus,
    StaffUser,
    Task,
    TaskStatus,
)
from navigation.patient_reasons import PAUSE_CATEGORIES
from navigation.queues import notify
from navigation.queues.estimates import learn
from navigation.queues.lines import (
    BUSY,
    LINE,
    PRIORITY_SHIFT,
    TURN_SOON_AHEAD,
    QueueChange,
    QueueEmpty,
    entries_in,
    entry_for_staff,
    first_callable,
    last_undoable,
    line,
    lock_queues,
    locked_entry,
    next_ticket,
    queue_for_room,
    record,
    rejoin_entry,
    require,
    restore,
    rooms_performing,
    seen_on_phone,
    snapshot,
    sync_step,
)
from navigation.task_states import refresh_readiness, refuse_early, transition

E = EntryStatus
NO_SHOW_GRACE = timedelta(minutes=15)
UNDOABLE = {"call", "recall", "skip", "no_show", "rejoin", "move", "priority", "hold", "release"}


def _check_desk(room: Room, desk: int) -> None:
    if not 1 <= desk <= room.stations:
        raise DomainError(f"room {room.code} has desks 1 to {room.stations}", field="desk")


def _site(actor: StaffUser) -> int | None:
    return actor.site_id


def _lock_for_change(
    session: Session,
    entry_id: int,
    actor: StaffUser,
    version: int | None,
    allowed: Iterable[EntryStatus],
    doing: str,
) -> tuple[QueueEntry, QueueChange, dict[str, Any]]:
    """The entry, its line locked, refused if stale or not in a state that allows `doing`; with
    the change the operation fills and the snapshot undo will put back."""
    entry, _ = locked_entry(session, entry_id, _site(actor), version)
    require(entry, allowed, doing)
    return entry, QueueChange(entry=entry), snapshot(entry)


# ---- calling -------------------------------------------------------------------------------


def call_next(
    session: Session,
    room: Room,
    desk: int,
    *,
    actor: StaffUser,
    now: datetime,
    from_service: bool = False,
    soon_ahead: int = TURN_SOON_AHEAD,
    confirm: bool = False,
) -> QueueChange:
    """Call the first patient in line to `desk`. With `from_service`, the first of every room
    that performs the same service (patients who can be served here), so shared rooms share
    one line. Serialised per queue: two nurses never call the same patient or skip one.
    A desk still holding a patient (called or in service) takes another only with `confirm`."""
    _check_desk(room, desk)
    queue = queue_for_room(session, room)
    pool = [queue.id]
    if from_service:
        others = session.scalars(
            sa.select(Room).where(Room.site_id == room.site_id, Room.room_type == room.room_type)
        ).all()
        pool += [queue_for_room(session, other).id for other in others if other.id != room.id]
    locked = lock_queues(session, pool)
    queue = locked[queue.id]
    if queue.paused_at is not None:
        raise Conflict(f"room {room.code} is paused ({queue.pause_reason}); resume it first", field="room")
    if not confirm:
        _refuse_busy_desk(session, queue, desk)
    entry = next(
        (e for e in first_callable(session, pool, now) if e.queue_id == queue.id or room.serves(e.task)),
        None,
    )
    if entry is None:
        for waiting in line(session, pool, limit=1):  # someone is here, but too early: say until when
            refuse_early(waiting.task, now)
        raise QueueEmpty(f"no one is waiting for room {room.code}", field="room")
    change = QueueChange(entry=entry)
    before = snapshot(entry)
    source = entry.queue
    if entry.queue_id != queue.id:  # from the shared line: the patient keeps their ticket
        entry.queue = queue
        entry.task.planned_room_id = room.id
        change.touch(room_id=source.room_id)
    entry.status, entry.desk, entry.called_at = E.CALLED, desk, now
    record(session, change, queue, entry, "call", actor, now, before=before, desk=desk)
    sync_step(entry, actor, now)
    notify.turn_now(session, entry, now)
    for touched in {queue.id: queue, source.id: source}.values():
        notify.turn_soon(session, touched, now, soon_ahead)
    change.message = f"ticket {entry.ticket} called to desk {desk}"
    return change


def _refuse_busy_desk(session: Session, queue: RoomQueue, desk: int) -> None:
    held = next((e for e in entries_in(session, queue.id, BUSY) if e.desk == desk), None)
    if held is not None:
        status = held.status.value.replace("_", " ")
        raise Conflict(
            f"desk {desk} still has ticket {held.ticket} ({status}); complete, skip or mark them "
            "not here first, or call again with confirm to take a second patient",
            field="confirm",
        )


def recall(
    session: Session, entry_id: int, *, actor: StaffUser, now: datetime, version: int | None = None
) -> QueueChange:
    """Call the same patient again (they did not come yet)."""
    entry, change, before = _lock_for_change(session, entry_id, actor, version, [E.CALLED], "recalled")
    entry.recalls += 1
    record(session, change, entry.queue, entry, "recall", actor, now, before=before, desk=entry.desk)
    notify.turn_now(session, entry, now)
    change.message = f"ticket {entry.ticket} called again"
    return change


# ---- service -------------------------------------------------------------------------------


def start(
    session: Session,
    entry_id: int,
    *,
    actor: StaffUser,
    now: datetime,
    version: int | None = None,
    desk: int | None = None,
    soon_ahead: int = TURN_SOON_AHEAD,
    override_reason: str | None = None,
) -> QueueChange:
    """The exam begins: the step becomes in-progress (FHIR), the entry in service. Not before
    its prerequisites are met, unless the nurse overrides with a reason (audited)."""
    entry, change, before = _lock_for_change(session, entry_id, actor, version, [E.CALLED, *LINE], "started")
    _prerequisites_met(session, entry, actor, now, override_reason)
    if desk is not None:
        _check_desk(entry.queue.room, desk)
    was_in_line = entry.status in LINE
    transition(
        entry.task, TaskStatus.IN_PROGRESS, actor=f"staff:{actor.id}", now=now, business_status="in-service"
    )
    entry.status, entry.started_at = E.IN_SERVICE, now
    entry.desk = desk or entry.desk or 1
    entry.called_at = entry.called_at or now
    record(session, change, entry.queue, entry, "start", actor, now, before=before, desk=entry.desk)
    if was_in_line:
        notify.turn_soon(session, entry.queue, now, soon_ahead)
    change.message = f"ticket {entry.ticket} in service"
    return change


def _prerequisites_met(
    session: Session, entry: QueueEntry, actor: StaffUser, now: datetime, override_reason: str | None
) -> None:
    """Refuse to begin a step too early (why, and from when), or keep the nurse's reason."""
    if override_reason is None:
        try:
            refuse_early(entry.task, now)
        except Conflict as refused:  # the nurse may begin anyway, saying why: the page offers it
            raise Conflict(refused.message, field="override_reason") from refused
        return
    audit.record(
        session,
        actor,
        "queue.override",
        "queue_entry",
        entry.id,
        site_id=entry.site_id,
        now=now,
        reason=override_reason,
        task_id=entry.task_id,
        not_before=entry.task.not_before.isoformat() if entry.task.not_before else None,
    )


def complete(
    session: Session,
    entry_id: int,
    *,
    actor: StaffUser,
    now: datetime,
    version: int | None = None,
    override_reason: str | None = None,
) -> QueueChange:
    """The exam is done: the step completes, the next steps are released, the room learns how
    long it took. A called patient may be completed at once (start and end together)."""
    entry, change, before = _lock_for_change(
        session, entry_id, actor, version, [E.IN_SERVICE, E.CALLED], "completed"
    )
    staff = f"staff:{actor.id}"
    if entry.task.status == TaskStatus.READY:
        _prerequisites_met(session, entry, actor, now, override_reason)
        transition(entry.task, TaskStatus.IN_PROGRESS, actor=staff, now=now, business_status="in-service")
    transition(entry.task, TaskStatus.COMPLETED, actor=staff, now=now, business_status="done")
    began = entry.started_at or entry.called_at or now
    entry.started_at = began
    entry.status, entry.finished_at = E.DONE, now
    minutes = learn(session, entry.queue.room_id, entry.task, (now - began).total_seconds() / 60, now)
    released = refresh_readiness(entry.journey, now)
    progress.advanced(session, entry.journey, released, now)  # next step, "may eat", "report ready"...
    record(
        session,
        change,
        entry.queue,
        entry,
        "complete",
        actor,
        now,
        before=before,
        minutes=round((now - began).total_seconds() / 60, 1),
        average_minutes=round(minutes, 1),
        released=[t.id for t in released],
    )
    change.message = f"ticket {entry.ticket} done"
    return change


# ---- changing places -----------------------------------------------------------------------


def skip(
    session: Session,
    entry_id: int,
    places: int,
    reason: str,
    *,
    actor: StaffUser,
    now: datetime,
    version: int | None = None,
    soon_ahead: int = TURN_SOON_AHEAD,
) -> QueueChange:
    """Put the patient back `places` places in line (not here yet, not ready yet)."""
    if places < 1:
        raise DomainError("skip back by at least one place", field="places")
    entry, change, before = _lock_for_change(session, entry_id, actor, version, [E.CALLED, *LINE], "skipped")
    waiting = line(session, [entry.queue_id])
    position = waiting.index(entry) if entry in waiting else 0
    rest = [e for e in waiting if e.id != entry.id]
    after = position + places  # the entry goes behind rest[after - 1]
    if not rest or after > len(rest) or after <= 0:
        entry.order_key = (rest[-1].order_key + 1.0) if rest else entry.order_key
    elif after == len(rest):
        entry.order_key = rest[-1].order_key + 1.0
    else:
        entry.order_key = (rest[after - 1].order_key + rest[after].order_key) / 2
    entry.status, entry.desk, entry.turn_soon_sent = E.SKIPPED, None, False
    record(
        session, change, entry.queue, entry, "skip", actor, now, before=before, reason=reason, places=places
    )
    sync_step(entry, actor, now, reason)
    if before["status"] == E.CALLED.value:
        notify.plan_changed(session, entry, now)
        seen_on_phone(session, entry, soon_ahead)
    notify.turn_soon(session, entry.queue, now, soon_ahead)
    change.message = f"ticket {entry.ticket} moved back {places} places"
    return change


def no_show(
    session: Session,
    entry_id: int,
    *,
    actor: StaffUser,
    now: datetime,
    version: int | None = None,
    reason: str | None = None,
    grace: timedelta = NO_SHOW_GRACE,
) -> QueueChange:
    """The called patient did not come. Within `grace` they get their place back on return."""
    entry, change, before = _lock_for_change(
        session, entry_id, actor, version, [E.CALLED], "marked as not here"
    )
    entry.status, entry.desk, entry.grace_until = E.NO_SHOW, None, now + grace
    record(
        session,
        change,
        entry.queue,
        entry,
        "no_show",
        actor,
        now,
        before=before,
        reason=reason,
        grace_minutes=int(grace.total_seconds() // 60),
    )
    sync_step(entry, actor, now, reason)
    notify.plan_changed(session, entry, now)
    until = entry.journey.site.hhmm(entry.grace_until)
    change.message = f"ticket {entry.ticket} not here; keeps the place until {until}"
    return change


def rejoin(
    session: Session, entry_id: int, *, actor: StaffUser, now: datetime, version: int | None = None
) -> QueueChange:
    """A no-show patient came back to the desk."""
    entry, _ = locked_entry(session, entry_id, _site(actor), version)
    return rejoin_entry(session, entry, actor, now)


def hold(
    session: Session,
    entry_id: int,
    reason: str,
    *,
    actor: StaffUser,
    now: datetime,
    version: int | None = None,
    soon_ahead: int = TURN_SOON_AHEAD,
) -> QueueChange:
    """Keep the patient aside (not callable) without losing their place."""
    return _hold_or_release(session, "hold", entry_id, reason, actor, now, version, soon_ahead)


def release(
    session: Session,
    entry_id: int,
    *,
    actor: StaffUser,
    now: datetime,
    version: int | None = None,
    soon_ahead: int = TURN_SOON_AHEAD,
) -> QueueChange:
    return _hold_or_release(session, "release", entry_id, None, actor, now, version, soon_ahead)


# action: (statuses it applies to, what the refusal calls it, status after, what the nurse reads)
_ASIDE = {
    "hold": (LINE, "put on hold", E.ON_HOLD, "on hold"),
    "release": ((E.ON_HOLD,), "released", E.WAITING, "back in line"),
}


def _hold_or_release(
    session: Session,
    action: str,
    entry_id: int,
    reason: str | None,
    actor: StaffUser,
    now: datetime,
    version: int | None,
    soon_ahead: int,
) -> QueueChange:
    """Hold and release flip the status only: the order key stays, so does the place in line."""
    allowed, doing, status, said = _ASIDE[action]
    entry, change, before = _lock_for_change(session, entry_id, actor, version, allowed, doing)
    entry.status = status
    record(session, change, entry.queue, entry, action, actor, now, before=before, reason=reason)
    sync_step(entry, actor, now, reason)
    notify.turn_soon(session, entry.queue, now, soon_ahead)
    change.message = f"ticket {entry.ticket} {said}"
    return change


def set_priority(
    session: Session,
    entry_id: int,
    priority: int,
    reason: str,
    *,
    actor: StaffUser,
    now: datetime,
    version: int | None = None,
    soon_ahead: int = TURN_SOON_AHEAD,
) -> QueueChange:
    """Raise or lower the patient's priority; among equals they keep their arrival order."""
    if not 0 <= priority <= 3:
        raise DomainError("priority is 0 (normal) to 3 (most urgent)", field="priority")
    entry, change, before = _lock_for_change(
        session, entry_id, actor, version, [*LINE, E.ON_HOLD, E.NO_SHOW], "re-prioritised"
    )
    entry.order_key += (entry.priority - priority) * PRIORITY_SHIFT
    entry.priority = priority
    record(
        session,
        change,
        entry.queue,
        entry,
        "priority",
        actor,
        now,
        before=before,
        reason=reason,
        priority=priority,
    )
    notify.turn_soon(session, entry.queue, now, soon_ahead)
    change.message = f"ticket {entry.ticket} priority {priority}"
    return change


def _move_entry(
    session: Session,
    change: QueueChange,
    entry: QueueEntry,
    target: RoomQueue,
    actor: StaffUser,
    now: datetime,
    reason: str,
    category: str | None = None,
) -> None:
    source = entry.queue
    before = snapshot(entry)
    entry.queue = target
    entry.ticket = next_ticket(target, now, entry.journey.site.timezone)
    entry.task.planned_room_id = target.room_id
    if entry.status in (E.CALLED, E.SKIPPED):
        entry.status = E.WAITING
    entry.desk, entry.turn_soon_sent = None, False
    record(
        session,
        change,
        source,
        entry,
        "move",
        actor,
        now,
        before=before,
        reason=reason,
        to_room=target.room.code,
    )
    change.touch(room_id=source.room_id)
    sync_step(entry, actor, now, reason, tell=True, category=category)
    notify.plan_changed(session, entry, now, why=category)
    seen_on_phone(session, entry, TURN_SOON_AHEAD)


def move(
    session: Session,
    entry_id: int,
    room: Room,
    reason: str,
    *,
    actor: StaffUser,
    now: datetime,
    version: int | None = None,
    soon_ahead: int = TURN_SOON_AHEAD,
) -> QueueChange:
    """Send the patient to another room that performs their exam; they keep their place in time."""
    entry = entry_for_staff(session, entry_id, _site(actor))
    if room.site_id != entry.site_id:
        raise DomainError(f"room {room.code} is at another site", field="room")
    target = queue_for_room(session, room)
    entry, locked = locked_entry(session, entry_id, _site(actor), version, target.id)
    require(entry, [*LINE, E.CALLED, E.ON_HOLD, E.NO_SHOW], "moved")
    if target.id == entry.queue_id:
        raise DomainError(f"ticket {entry.ticket} is already in room {room.code}", field="room")
    task = entry.task
    if room.status == RoomStatus.CLOSED or not room.serves(task):
        raise DomainError(f"room {room.code} does not perform '{task.name_en}'", field="room")
    source = entry.queue
    change = QueueChange(entry=entry)
    _move_entry(session, change, entry, locked[target.id], actor, now, reason)
    for queue in (source, locked[target.id]):
        notify.turn_soon(session, queue, now, soon_ahead)
    change.message = f"moved to room {room.code}, new ticket {entry.ticket}"
    return change


# ---- the room ------------------------------------------------------------------------------


def pause(
    session: Session,
    room: Room,
    reason: str,
    minutes: int,
    *,
    actor: StaffUser,
    now: datetime,
    soon_ahead: int = TURN_SOON_AHEAD,
    category: str = "other",
) -> QueueChange:
    """Pause the room: its waiting patients go to other open rooms that perform their exam;
    those with nowhere to go wait longer. Everyone moved or delayed is told why: staff read
    the reason, patients its category (navigation/patient_reasons.py)."""
    if not 1 <= minutes <= 24 * 60:
        raise DomainError("expected duration is 1 minute to 24 hours", field="minutes")
    if category not in PAUSE_CATEGORIES:
        raise DomainError(f"category must be one of {', '.join(PAUSE_CATEGORIES)}", field="category")
    queue = queue_for_room(session, room)
    # Lock this room and every room its patients could go to, in one ordered pass.
    waiting = line(session, [queue.id])
    targets: dict[int, list[Room]] = {}
    for entry in waiting:
        rooms = [r for r in rooms_performing(session, entry.task, room.site_id) if r.id != room.id]
        targets[entry.id] = rooms
    target_queues = {r.id: queue_for_room(session, r) for rooms in targets.values() for r in rooms}
    locked = lock_queues(session, [queue.id, *(q.id for q in target_queues.values())])
    queue = locked[queue.id]
    if queue.paused_at is not None:
        raise Conflict(f"room {room.code} is already paused", field="room")
    queue.paused_at, queue.paused_until, queue.pause_reason = now, now + timedelta(minutes=minutes), reason
    room.status = RoomStatus.PAUSED
    change = QueueChange()
    change.touch(room_id=room.id)
    load = {
        q.id: len(line(session, [q.id])) / max(1, q.room.stations)
        for q in (locked[t.id] for t in target_queues.values())
    }
    moved = 0
    for entry in line(session, [queue.id]):
        choices = [target_queues[r.id] for r in targets.get(entry.id, []) if r.status == RoomStatus.OPEN]
        if choices:
            target = min(choices, key=lambda q: (load[q.id], q.room.code))
            load[target.id] += 1 / max(1, target.room.stations)
            note = _pause_note(room, reason)
            _move_entry(session, change, entry, locked[target.id], actor, now, note, category)
            moved += 1
        else:  # nowhere else: later, and told so
            task = entry.task
            if task.planned_start is None or task.planned_start < queue.paused_until:
                length = (
                    (task.planned_end - task.planned_start)
                    if task.planned_start and task.planned_end
                    else None
                )
                task.planned_start = queue.paused_until
                task.planned_end = queue.paused_until + (length or timedelta(minutes=task.duration_min))
            sync_step(entry, actor, now, _pause_note(room, reason), tell=True, category=category)
            change.touch(entry)
            notify.plan_changed(session, entry, now, why=category)
    for target in target_queues.values():
        notify.turn_soon(session, locked[target.id], now, soon_ahead)
    session.add(
        QueueEvent(
            queue_id=queue.id,
            action="pause",
            actor=f"staff:{actor.id}",
            actor_id=actor.id,
            reason=reason,
            at=now,
            detail={"minutes": minutes, "moved": moved, "delayed": len(change.journey_ids) - moved},
        )
    )
    audit.record(
        session,
        actor,
        "queue.pause",
        "room",
        room.code,
        site_id=room.site_id,
        now=now,
        reason=reason,
        minutes=minutes,
    )
    change.message = f"room {room.code} paused for {minutes} min; {moved} patient(s) sent to other rooms"
    return change


def resume(
    session: Session, room: Room, *, actor: StaffUser, now: datetime, soon_ahead: int = TURN_SOON_AHEAD
) -> QueueChange:
    queue_id = queue_for_room(session, room).id
    queue = lock_queues(session, [queue_id])[queue_id]
    if queue.paused_at is None:
        raise Conflict(f"room {room.code} is not paused", field="room")
    paused_minutes = round((now - queue.paused_at).total_seconds() / 60)
    told = _pause_note(room, queue.pause_reason)
    queue.paused_at = queue.paused_until = queue.pause_reason = None
    room.status = RoomStatus.OPEN
    session.add(
        QueueEvent(
            queue_id=queue.id,
            action="resume",
            actor=f"staff:{actor.id}",
            actor_id=actor.id,
            at=now,
            detail={"paused_minutes": paused_minutes},
        )
    )
    audit.record(session, actor, "queue.resume", "room", room.code, site_id=room.site_id, now=now)
    change = QueueChange(message=f"room {room.code} open again")
    change.touch(room_id=room.id)
    for entry in line(session, [queue.id]) + entries_in(session, queue.id, BUSY):
        change.touch(entry)
    for task in session.scalars(  # the pause is over: its note leaves the phones it was on
        sa.select(Task).join(Journey).where(Journey.site_id == room.site_id, Task.status_reason == told)
    ):
        task.status_reason = task.status_category = None
        change.journey_ids.add(task.journey_id)
    notify.turn_soon(session, queue, now, soon_ahead)
    return change


def _pause_note(room: Room, reason: str | None) -> str:
    """What the steps of the patients a pause moved or delayed say, until the room resumes."""
    return f"room {room.code} paused: {reason}"


# ---- undo ----------------------------------------------------------------------------------


def _last_undoable(session: Session, queue_id: int) -> QueueEvent | None:
    return session.scalar(last_undoable(queue_id).execution_options(populate_existing=True))


def undo(
    session: Session, room: Room, *, actor: StaffUser, now: datetime, soon_ahead: int = TURN_SOON_AHEAD
) -> QueueChange:
    """Undo the room's last staff operation still standing (again to go further back).

    Starting and completing an exam are FHIR state changes that do not go backwards, and a
    pause is ended by resuming; those are refused with a reason."""
    queue = queue_for_room(session, room)
    event = _last_undoable(session, queue.id)
    if event is None:
        raise Conflict(f"nothing to undo in room {room.code}", field="room")
    entry = session.get(QueueEntry, event.entry_id) if event.entry_id else None
    restored_queue = [event.before["queue_id"]] if event.before else []
    lock_queues(session, [queue.id, *([entry.queue_id] if entry else []), *restored_queue])
    again = _last_undoable(session, queue.id)
    if again is None or again.id != event.id:
        raise Conflict("someone changed this queue at the same moment; look again and retry", field="room")
    if event.action not in UNDOABLE or entry is None or event.before is None:
        hint = "resume the room instead" if event.action == "pause" else "it cannot be taken back"
        raise Conflict(f"the last operation ({event.action}) cannot be undone: {hint}", field="room")
    session.refresh(entry)
    if entry.version != event.version_after:
        raise Conflict(
            f"ticket {entry.ticket} changed after the {event.action}; undo is no longer safe", field="room"
        )
    change = QueueChange(entry=entry)
    before = snapshot(entry)
    moved_from = entry.queue
    restore(entry, event.before)
    session.flush()
    session.refresh(entry, ["queue"])
    undo_event = record(
        session, change, entry.queue, entry, "undo", actor, now, before=before, undid=event.action
    )
    session.flush()
    event.undone_by_id = undo_event.id
    sync_step(entry, actor, now, f"undo {event.action}")
    notify.plan_changed(session, entry, now)
    for touched in {moved_from.id: moved_from, entry.queue.id: entry.queue}.values():
        change.touch(room_id=touched.room_id)
        notify.turn_soon(session, touched, now, soon_ahead)
    change.message = f"undid {event.action.replace('_', '-')} of ticket {entry.ticket}"
    return change
