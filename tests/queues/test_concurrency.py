"""Nurses pressing "call next" at the same moment on PostgreSQL: nobody is called twice, nobody
is lost, and nobody jumps the line, even while another transaction holds a row."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation import queues
from navigation.models import QueueEntry, QueueEvent, Room, StaffUser

pytestmark = pytest.mark.postgres_only

CALLERS = 8


@pytest.fixture(autouse=True)
def _postgres_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks need PostgreSQL (SQLite has one writer at a time)")


def _line_in_key_order(session: Session, room_code: str) -> list[int]:
    room = session.scalars(sa.select(Room).where(Room.code == room_code)).one()
    queue = queues.queue_for_room(session, room)
    return [e.id for e in queues.lines.line(session, [queue.id])]


def test_many_nurses_calling_at_once_call_everyone_exactly_once_in_order(app, waiting_patient, session):
    from api.extensions import db

    for _ in range(30):
        waiting_patient("GLU", key="draw:blood")  # the blood draw room: six desks, one line
    expected = _line_in_key_order(session, "A2-01")
    session.commit()
    assert len(expected) == 30
    clock_now = app.config["CLOCK"]()
    engine = db.engine  # threads have no app context
    barrier = threading.Barrier(CALLERS)
    errors: list[BaseException] = []

    def nurse_at_desk(desk: int) -> None:
        try:
            with Session(engine) as own:
                nurse = own.scalars(sa.select(StaffUser).where(StaffUser.username == "nurse")).one()
                room = own.scalars(sa.select(Room).where(Room.code == "A2-01")).one()
                barrier.wait()
                while True:
                    try:
                        queues.call_next(own, room, desk % 6 + 1, actor=nurse, now=clock_now, confirm=True)
                        own.commit()
                    except queues.QueueEmpty:
                        own.rollback()
                        return
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=nurse_at_desk, args=(i,)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    session.expire_all()
    calls = session.scalars(
        sa.select(QueueEvent).where(QueueEvent.action == "call").order_by(QueueEvent.id)
    ).all()
    per_entry = Counter(c.entry_id for c in calls)
    assert set(per_entry) == set(expected) and set(per_entry.values()) == {1}  # each once, none lost
    assert [c.entry_id for c in calls] == expected  # in line order
    statuses = session.scalars(sa.select(QueueEntry.status).where(QueueEntry.id.in_(expected))).all()
    assert set(statuses) == {"called"}


def _in_thread(target, *args) -> tuple[threading.Thread, list]:
    result: list = []

    def run() -> None:
        try:
            result.append(target(*args))
        except BaseException as error:  # pragma: no cover
            result.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def _call_in_own_session(engine: sa.Engine, now, room_code: str) -> int:
    with Session(engine) as own:
        nurse = own.scalars(sa.select(StaffUser).where(StaffUser.username == "nurse")).one()
        room = own.scalars(sa.select(Room).where(Room.code == room_code)).one()
        change = queues.call_next(own, room, 1, actor=nurse, now=now, confirm=True)
        entry_id = change.entry.id
        own.commit()
        return entry_id


def test_a_row_lock_held_elsewhere_does_not_let_the_second_patient_jump_the_first(
    waiting_patient, session, clock
):
    from api.extensions import db

    for _ in range(2):
        waiting_patient("PFT")
    first, second = _line_in_key_order(session, "B5-01")
    session.commit()
    with Session(db.engine) as other:
        other.execute(
            sa.select(QueueEntry).where(QueueEntry.id == first).with_for_update()
        )  # e.g. a slow report
        thread, result = _in_thread(_call_in_own_session, db.engine, clock.now, "B5-01")
        thread.join(timeout=0.5)
        assert thread.is_alive()  # waits for the first patient's row instead of skipping them
        other.rollback()
    thread.join(timeout=10)
    assert result == [first]


def test_a_second_call_waits_for_the_first_and_gets_the_next_patient(waiting_patient, session, clock):
    from api.extensions import db

    for _ in range(2):
        waiting_patient("PFT")
    first, second = _line_in_key_order(session, "B5-01")
    session.commit()
    with Session(db.engine) as one:
        nurse = one.scalars(sa.select(StaffUser).where(StaffUser.username == "nurse")).one()
        room = one.scalars(sa.select(Room).where(Room.code == "B5-01")).one()
        assert queues.call_next(one, room, 1, actor=nurse, now=clock.now, confirm=True).entry.id == first
        thread, result = _in_thread(_call_in_own_session, db.engine, clock.now, "B5-01")
        thread.join(timeout=0.5)
        assert thread.is_alive()  # the queue row is locked until the first call commits
        one.commit()
    thread.join(timeout=10)
    assert result == [second]
