"""Whatever the channel answers, and in whatever order, the outbox keeps its promises."""

import random
from collections import defaultdict, deque
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from notifications.db import NotificationsBase
from notifications.devices import Device, register_device
from notifications.dispatcher import DispatchConfig, Dispatcher, RetryPolicy
from notifications.events import Event
from notifications.outbox import OutboxMessage, Status, enqueue
from notifications.transports.base import Outcome, Outgoing, SendResult

OUTCOMES = st.sampled_from(list(Outcome))
FINAL = {Status.DELIVERED, Status.FAILED, Status.NO_DEVICE}


class Scripted:
    """Answers each address from its script, then acknowledges; keeps every send."""

    channel = "fcm"
    max_batch = 3  # small, so one pass spans several batches

    def __init__(self, scripts: dict[str, list[Outcome]]) -> None:
        self.scripts = {address: deque(outcomes) for address, outcomes in scripts.items()}
        self.sent: list[tuple[str, str, Outcome]] = []

    def send(self, messages: Sequence[Outgoing]) -> list[SendResult]:
        results = []
        for message in messages:
            script = self.scripts.get(message.address)
            outcome = script.popleft() if script else Outcome.ACKNOWLEDGED
            self.sent.append((message.event_id, message.address, outcome))
            results.append(SendResult(outcome, error=None if outcome is Outcome.ACKNOWLEDGED else "x"))
        return results


@settings(max_examples=40, deadline=None)
@given(
    phones=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=4),
    messages_per_journey=st.integers(min_value=1, max_value=3),
    data=st.data(),
)
def test_every_message_ends_visibly_and_no_acknowledged_send_repeats(
    phones: list[int], messages_per_journey: int, data: st.DataObject
) -> None:
    engine = sa.create_engine("sqlite://", poolclass=StaticPool)
    NotificationsBase.metadata.create_all(engine)
    session_factory = sessionmaker(engine)
    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    addresses = [f"j{j}-p{p}" for j, count in enumerate(phones) for p in range(count)]
    transport = Scripted({a: data.draw(st.lists(OUTCOMES, max_size=5), label=a) for a in addresses})
    with session_factory() as session:
        for address in addresses:
            register_device(session, int(address[1 : address.index("-")]), address, "android")
        for journey in range(len(phones)):
            for _ in range(messages_per_journey):
                enqueue(session, journey, Event.REPORT_READY, "en", now=now)
        session.commit()

    clock = [now]
    retry = RetryPolicy(max_attempts=4, base_seconds=1.0)
    worker = Dispatcher(session_factory, [transport], DispatchConfig(retry=retry), lambda: clock[0])
    for _ in range(20):
        worker.run_pass()
        due = worker.next_due()
        if due is None:
            break
        clock[0] = max(clock[0], due) + timedelta(seconds=1)

    with session_factory() as session:
        rows = session.scalars(sa.select(OutboxMessage)).all()
        remaining = set(session.scalars(sa.select(Device.token)))
    engine.dispose()

    acknowledged: dict[str, set[str]] = defaultdict(set)
    gone = set()
    for event_id, address, outcome in transport.sent:
        assert address not in acknowledged[event_id], "re-sent after FCM acknowledged it"
        if outcome is Outcome.ACKNOWLEDGED:
            acknowledged[event_id].add(address)
        if outcome is Outcome.ADDRESS_GONE:
            gone.add(address)
    assert not (gone & remaining), "a dead address is still registered"
    for row in rows:
        assert row.status in FINAL, f"{row.event_id} left {row.status}"
        if row.status == Status.FAILED:
            assert row.last_error
        if row.status == Status.DELIVERED:
            journey_addresses = {a for a in remaining if a.startswith(f"j{row.journey_id}-")}
            assert journey_addresses <= acknowledged[row.event_id]
        assert set(row.acknowledged) == {f"fcm:{a}" for a in acknowledged[row.event_id]}


@given(
    attempts=st.integers(min_value=1, max_value=30),
    retry_after=st.none() | st.floats(min_value=0, max_value=3600),
    seed=st.integers(),
)
def test_backoff_grows_is_capped_and_never_undercuts_retry_after(
    attempts: int, retry_after: float | None, seed: int
) -> None:
    policy = RetryPolicy(base_seconds=2.0, cap_seconds=300.0)
    delay = policy.delay(attempts, retry_after, random.Random(seed))
    ceiling = min(300.0, 2.0 * 2 ** (attempts - 1))
    assert delay >= (retry_after or 0.0)
    assert ceiling / 2 <= delay <= max(ceiling, retry_after or 0.0)
