"""Whatever nurses do, in any order: the one called is always the head of the line, nobody in
line is called twice without going back first, tickets stay unique, undo restores exactly."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navigation import queues
from navigation.errors import DomainError
from navigation.models import EntryStatus, QueueEntry, QueueEvent, Room, StaffUser
from navigation.queues.lines import LINE, snapshot

OPS = ["call", "call", "recall", "skip", "no_show", "rejoin", "hold", "release", "priority", "start", "undo"]


@pytest.fixture
def line_of_five(waiting_patient, session):
    for _ in range(5):
        waiting_patient("PFT")
    session.commit()
    room = session.scalars(sa.select(Room).where(Room.code == "B5-01")).one()
    nurse = session.scalars(sa.select(StaffUser).where(StaffUser.username == "nurse")).one()
    return room, nurse


def _entries(session, room: Room) -> list[QueueEntry]:
    queue = queues.queue_for_room(session, room)
    return list(session.scalars(sa.select(QueueEntry).where(QueueEntry.queue_id == queue.id)))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 4), st.integers(1, 3)), max_size=14))
def test_any_sequence_of_operations_keeps_the_line_honest(session, clock, line_of_five, steps):
    room, nurse = line_of_five
    savepoint = session.begin_nested()
    try:
        now = clock.now
        for op, pick, n in steps:
            now += timedelta(minutes=1)
            entries = sorted(_entries(session, room), key=lambda e: e.id)
            target = entries[pick % len(entries)]
            line = sorted((e for e in entries if e.status in LINE), key=lambda e: (e.order_key, e.id))
            before = snapshot(target)
            try:
                if op == "call":
                    change = queues.call_next(session, room, 1, actor=nurse, now=now, confirm=True)
                    assert line and change.entry.id == line[0].id  # always the head of the line
                elif op == "undo":
                    queues.undo(session, room, actor=nurse, now=now)
                elif op == "skip":
                    queues.skip(session, target.id, n, "not here", actor=nurse, now=now)
                elif op == "no_show":
                    queues.no_show(session, target.id, actor=nurse, now=now)
                elif op == "priority":
                    queues.set_priority(session, target.id, n, "pain", actor=nurse, now=now)
                elif op in ("hold",):
                    queues.hold(session, target.id, "water", actor=nurse, now=now)
                else:
                    getattr(queues, op)(session, target.id, actor=nurse, now=now)
                if op in ("skip", "no_show", "priority", "hold", "release", "rejoin", "recall"):
                    queues.undo(session, room, actor=nurse, now=now)  # and back again: exactly as before
                    session.refresh(target)
                    after = snapshot(target)
                    assert after == before
            except DomainError:
                pass  # refused: the entry was not in a state for it
        calls = session.scalars(
            sa.select(QueueEvent)
            .where(QueueEvent.action.in_(["call", "skip", "no_show", "undo"]))
            .order_by(QueueEvent.id)
        ).all()
        called: set[int] = set()
        for event in calls:  # a call only ever takes someone who was waiting in line
            if event.action == "call":
                assert event.entry_id not in called
                called.add(event.entry_id)
            else:
                called.discard(event.entry_id)
        tickets = [e.ticket for e in _entries(session, room)]
        assert len(tickets) == len(set(tickets))
        assert all(e.status in EntryStatus for e in _entries(session, room))
    finally:
        savepoint.rollback()
