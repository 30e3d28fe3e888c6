"""Live-update streams: in-process, and across processes through Redis pub/sub."""

import json
import os
import threading
import time
from collections.abc import Iterator

import fakeredis
import pytest
import redis

from notifications.live import (
    Broker,
    InProcessBroker,
    RedisBroker,
    broker_from_environment,
    format_sse,
    journey_channel,
    room_queue_channel,
)
from tests.timing import pause


def redis_clients(count: int) -> list[redis.Redis]:
    """Several clients of one server, as several worker processes would have."""
    if os.environ.get("REDIS_URL"):
        return [redis.Redis.from_url(os.environ["REDIS_URL"]) for _ in range(count)]
    server = fakeredis.FakeServer()
    return [fakeredis.FakeRedis(server=server) for _ in range(count)]


@pytest.fixture(params=["in_process", "redis"])
def brokers(request: pytest.FixtureRequest) -> Iterator[tuple[Broker, Broker]]:
    """(publisher, subscriber side): the same object in-process, two processes with Redis."""
    if request.param == "in_process":
        broker = InProcessBroker(keepalive_seconds=0.05)
        yield broker, broker
        return
    publisher, listener = (RedisBroker(c, keepalive_seconds=0.05) for c in redis_clients(2))
    yield publisher, listener
    listener.stop()


def data_of(frame: str) -> dict:
    [line] = [line for line in frame.splitlines() if line.startswith("data: ")]
    return json.loads(line.removeprefix("data: "))


def test_every_stream_of_a_channel_gets_the_event_and_only_its_own(
    brokers: tuple[Broker, Broker],
) -> None:
    publisher, listener = brokers
    with (
        listener.subscribe(journey_channel(7)) as phone,
        listener.subscribe(journey_channel(7)) as second_tab,
        listener.subscribe(room_queue_channel("3-12")) as nurses,
    ):
        publisher.publish(journey_channel(7), {"type": "next_step", "event_id": "e1"})
        publisher.publish(room_queue_channel("3-12"), {"type": "queue", "waiting": 4})

        assert data_of(next(phone)) == {"type": "next_step", "event_id": "e1"}
        assert data_of(next(second_tab))["event_id"] == "e1"
        assert data_of(next(nurses)) == {"type": "queue", "waiting": 4}
        assert next(nurses) == ": keep-alive\n\n"


def test_a_closed_stream_is_forgotten() -> None:
    broker = InProcessBroker()
    stream = broker.subscribe("room.1")
    assert broker.hub.count("room.1") == 1
    stream.close()
    assert broker.hub.count("room.1") == 0


def test_one_redis_listener_serves_many_streams() -> None:
    [client] = redis_clients(1)
    broker = RedisBroker(client, keepalive_seconds=0.05)
    streams = [broker.subscribe(journey_channel(n % 5)) for n in range(50)]
    try:
        listeners = [t for t in threading.enumerate() if t.name == "carepath-live-listener"]
        assert len(listeners) == 1
        broker.publish(journey_channel(3), {"type": "plan_changed"})
        for n, stream in enumerate(streams):
            if n % 5 == 3:
                assert next(stream).startswith("event: plan_changed")
        assert all(stream.frames.empty() for stream in streams)
    finally:
        for stream in streams:
            stream.close()
        broker.stop()


def test_sse_frames_are_well_formed() -> None:
    frame = format_sse({"id": "e1", "type": "turn\nnow", "room": "3-12", "text": "轮到您了"})
    assert frame == (
        'id: e1\nevent: turn now\ndata: {"id":"e1","type":"turn\\nnow","room":"3-12","text":"轮到您了"}\n\n'
    )


def test_the_environment_chooses_the_broker() -> None:
    assert isinstance(broker_from_environment({}), InProcessBroker)
    chosen = broker_from_environment({"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert isinstance(chosen, RedisBroker)
    chosen.client.close()


def test_the_listener_comes_back_after_redis_goes_away() -> None:
    server = fakeredis.FakeServer()
    broker = RedisBroker(fakeredis.FakeRedis(server=server), keepalive_seconds=0.05)
    broker.POLL_SECONDS = 0.01
    stream = broker.subscribe(journey_channel(7))
    try:
        server.connected = False
        pause(0.1)
        server.connected = True
        publisher = fakeredis.FakeRedis(server=server)
        deadline = time.monotonic() + 5
        frame = ": keep-alive\n\n"
        while frame.startswith(":") and time.monotonic() < deadline:
            # Published again until the listener is back: pub/sub keeps nothing for later.
            publisher.publish(RedisBroker.PREFIX + journey_channel(7), "event: back\n\n")
            frame = next(stream)
        assert frame == "event: back\n\n"
    finally:
        stream.close()
        broker.stop()
