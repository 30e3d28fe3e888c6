"""Live updates without push: Server-Sent Event streams per journey and per room queue.

Push may never arrive (FCM is unreliable in mainland China; its terms rule it out for
anything critical), so the patient's page and the nurses' queue screen also listen here.

Every browser stream is a `Subscription` on a local queue. A process fans out to its own
queues; with Redis, each process runs exactly one pub/sub listener thread that feeds them, so
a thousand open pages cost one Redis connection per worker process, not one each (redis-py's
pool would run out). Without Redis, `InProcessBroker` has the same interface for a single
process.
"""

import contextlib
import json
import logging
import os
import queue
import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

import redis

logger = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0  # proxies close streams that are silent for too long
QUEUE_SIZE = 256  # per stream; a stalled browser loses old frames, it does not stall others


def journey_channel(journey_id: int) -> str:
    return f"journey.{journey_id}"


def room_queue_channel(room: str) -> str:
    return f"room.{room}"


def format_sse(event: Mapping[str, Any]) -> str:
    """One SSE frame; `type` becomes the SSE event name and `id` the last-event id."""
    lines = []
    for field, key in (("id", "id"), ("event", "type")):
        if key in event:
            lines.append(f"{field}: {' '.join(str(event[key]).splitlines())}")
    lines.append("data: " + json.dumps(event, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


class Subscription:
    """An iterator of SSE frames for one stream; a comment line keeps an idle stream open.

    Registered as soon as it is created, so nothing published after `subscribe()` returns is
    missed. Werkzeug calls `close()` when the browser goes away.
    """

    def __init__(self, hub: "LocalHub", channel: str, keepalive_seconds: float) -> None:
        self.hub = hub
        self.channel = channel
        self.keepalive_seconds = keepalive_seconds
        self.frames: queue.Queue[str] = queue.Queue(QUEUE_SIZE)
        hub.attach(channel, self.frames)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            return self.frames.get(timeout=self.keepalive_seconds)
        except queue.Empty:
            return ": keep-alive\n\n"

    def close(self) -> None:
        self.hub.detach(self.channel, self.frames)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalHub:
    """This process's streams, by channel."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.streams: dict[str, set[queue.Queue[str]]] = defaultdict(set)

    def attach(self, channel: str, frames: queue.Queue[str]) -> None:
        with self.lock:
            self.streams[channel].add(frames)

    def detach(self, channel: str, frames: queue.Queue[str]) -> None:
        with self.lock:
            self.streams[channel].discard(frames)
            if not self.streams[channel]:
                del self.streams[channel]

    def count(self, channel: str) -> int:
        with self.lock:
            return len(self.streams.get(channel, ()))

    def deliver(self, channel: str, frame: str) -> None:
        with self.lock:
            targets = list(self.streams.get(channel, ()))
        for frames in targets:
            while True:
                try:
                    frames.put_nowait(frame)
                    break
                except queue.Full:
                    with contextlib.suppress(queue.Empty):
                        frames.get_nowait()


class Broker(Protocol):
    def publish(self, channel: str, event: Mapping[str, Any]) -> None: ...

    def subscribe(self, channel: str) -> Subscription: ...


class InProcessBroker:
    """For a single process (no REDIS_URL): publish goes straight to local streams."""

    def __init__(self, keepalive_seconds: float = KEEPALIVE_SECONDS) -> None:
        self.hub = LocalHub()
        self.keepalive_seconds = keepalive_seconds

    def publish(self, channel: str, event: Mapping[str, Any]) -> None:
        self.hub.deliver(channel, format_sse(event))

    def subscribe(self, channel: str) -> Subscription:
        return Subscription(self.hub, channel, self.keepalive_seconds)


class RedisBroker:
    """Across processes: publish to Redis; one listener thread per process fans out locally.

    The listener pattern-subscribes to every CarePath channel once, so opening or closing a
    stream never talks to Redis. It starts lazily and again after a fork (gunicorn forks
    workers after the app is built; threads do not survive a fork).
    """

    PREFIX = "carepath:live:"
    POLL_SECONDS = 0.25  # how soon `stop()` is noticed; messages wake the listener at once

    def __init__(self, client: redis.Redis, keepalive_seconds: float = KEEPALIVE_SECONDS) -> None:
        self.client = client
        self.keepalive_seconds = keepalive_seconds
        self.hub = LocalHub()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.listener: threading.Thread | None = None
        self.listener_pid: int | None = None

    def publish(self, channel: str, event: Mapping[str, Any]) -> None:
        self.client.publish(self.PREFIX + channel, format_sse(event))

    def subscribe(self, channel: str) -> Subscription:
        self.start()
        return Subscription(self.hub, channel, self.keepalive_seconds)

    def start(self) -> None:
        with self.lock:
            if self.listener is not None and self.listener_pid == os.getpid():
                return
            self.stopping.clear()
            pubsub = self._listen()
            self.listener = threading.Thread(
                target=self._run, args=(pubsub,), name="carepath-live-listener", daemon=True
            )
            self.listener_pid = os.getpid()
            self.listener.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.listener is not None:
            self.listener.join(timeout=5)
        self.listener = None

    def _listen(self) -> redis.client.PubSub:
        """Subscribed and confirmed, so a publish right after `subscribe()` is not missed."""
        pubsub = self.client.pubsub()
        pubsub.psubscribe(self.PREFIX + "*")
        for _ in range(50):
            message = pubsub.get_message(timeout=0.1)
            if message is not None and message["type"] == "psubscribe":
                return pubsub
        pubsub.close()
        raise redis.ConnectionError("Redis did not confirm the live-updates subscription")

    def _run(self, pubsub: redis.client.PubSub | None) -> None:
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                if pubsub is None:
                    pubsub = self._listen()
                message = pubsub.get_message(ignore_subscribe_messages=True, timeout=self.POLL_SECONDS)
                backoff = 0.5
                if message is not None:
                    channel = _text(message["channel"])[len(self.PREFIX) :]
                    self.hub.deliver(channel, _text(message["data"]))
            except (redis.ConnectionError, redis.TimeoutError):
                logger.warning("live updates lost Redis; reconnecting in %.1fs", backoff)
                if pubsub is not None:
                    pubsub.close()
                pubsub = None
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            except Exception:  # one bad message must not silence every stream of the process
                logger.exception("live update could not be fanned out")
        if pubsub is not None:
            pubsub.close()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def connect_redis(url: str) -> redis.Redis:
    """A Redis client for request handlers: a frozen or absent Redis costs a request at most a
    couple of seconds, never a hang (redis-py waits forever by default)."""
    return redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=2.0)


def broker_from_environment(environ: Mapping[str, str] = os.environ) -> Broker:
    """Redis fan-out when REDIS_URL is set, else in-process."""
    keepalive = float(environ.get("CAREPATH_SSE_KEEPALIVE_SECONDS", KEEPALIVE_SECONDS))
    if environ.get("REDIS_URL"):
        return RedisBroker(connect_redis(environ["REDIS_URL"]), keepalive)
    return InProcessBroker(keepalive)
