"""Benchmark: 10,000 pushes through the real firebase-admin SDK to a local fake FCM, clean and
with a 503 storm; 10,000 messages over FCM, WeChat, SMS and Web Push with dead addresses and
unacknowledged calls that escalate (bench/mixed_channels.py); SSE fan-out to 1,000 streams.

    python bench/notifications.py [--json] [--messages N] [--streams N] [--dispatchers N]
                                  [--sdk-backoff] [--escalate-seconds S] [--rate PER_SECOND]

Loss and duplicates are counted from the event ids the fake server accepted, not from
CarePath's own records. The database is a temporary SQLite file, or DATABASE_URL when set;
SSE fan-out goes through Redis when REDIS_URL is set, else in-process.

The SDK sleeps between its own retries (0 + 1 + 2 + 4 s for a message it gives up on); that
is Google's backoff, not CarePath's work, so it is switched off unless --sdk-backoff is given,
and CarePath's own retry delay is shortened to 50 ms. Both are waiting, not throughput.
"""

import argparse
import json
import logging
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

# Run as a script, this file's folder would come first on sys.path and this very file would
# shadow the `notifications` package: put the repository root there instead.
ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402
import urllib3.util.retry  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from bench.mixed_channels import mixed_channels_case  # noqa: E402
from notifications.db import NotificationsBase  # noqa: E402
from notifications.devices import Device  # noqa: E402
from notifications.dispatcher import DispatchConfig, Dispatcher, RetryPolicy  # noqa: E402
from notifications.events import Event  # noqa: E402
from notifications.live import InProcessBroker, RedisBroker, room_queue_channel  # noqa: E402
from notifications.outbox import enqueue  # noqa: E402
from notifications.transports.fcm import FcmTransport  # noqa: E402
from tests.notifications.fake_fcm import FakeFcm, point_sdk_at, reply_for  # noqa: E402


def service_account(directory: Path, fake_url: str) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = directory / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "carepath-bench",
                "private_key_id": "bench",
                "private_key": pem,
                "client_email": "bench@carepath-bench.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": fake_url + "/token",
            }
        )
    )
    return path


def serve_fake_fcm(control: Connection, faults: dict[str, int]) -> None:
    """The fake FCM in its own process, so it does not share the dispatcher's interpreter
    lock (as the real FCM would not). Reports the accepted event ids when asked."""
    with FakeFcm() as fake:
        for token, count in faults.items():
            fake.script(token, *[reply_for(503)] * count)
        control.send(fake.url)
        control.recv()
        control.send(fake.delivered())


def run_dispatcher(database_url: str, fake_url: str, key_file: str) -> None:
    """One dispatcher process: passes until nothing is left, sleeping until the next retry."""
    engine = sa.create_engine(database_url)
    transport = FcmTransport.from_service_account(key_file)
    point_sdk_at(fake_url, transport.app)
    retry = RetryPolicy(max_attempts=8, base_seconds=0.05, cap_seconds=1.0)
    dispatcher = Dispatcher(sessionmaker(engine), [transport], DispatchConfig(retry=retry))
    while True:
        dispatcher.run_until_idle()
        due = dispatcher.next_due()
        if due is None:
            return
        time.sleep(min(0.2, max(0.0, due.timestamp() - time.time())))


def dispatch_case(case: str, messages: int, fault_share: float, dispatchers: int, directory: Path) -> dict:
    """Enqueue `messages`, then time `dispatchers` processes delivering them all.

    Processes, not threads: the SDK costs about a millisecond of CPU per message, so one
    interpreter is bound by its lock, and CarePath is meant to run several dispatchers anyway.
    """
    forking = multiprocessing.get_context("fork")
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{directory / f'{case}.db'}"
    engine = sa.create_engine(database_url)
    NotificationsBase.metadata.drop_all(engine)
    NotificationsBase.metadata.create_all(engine)
    rng = random.Random(2026)
    # 5 answers of 503 make the SDK (1 try + 4 retries) give up once; CarePath must retry.
    faults = {f"token-{j}": 5 for j in rng.sample(range(messages), int(messages * fault_share))}
    control, server_end = forking.Pipe()
    server = forking.Process(target=serve_fake_fcm, args=(server_end, faults), daemon=True)
    server.start()
    fake_url = control.recv()
    key_file = str(service_account(directory, fake_url))
    with sessionmaker(engine)() as session:
        session.add_all(Device(journey_id=j, token=f"token-{j}", platform="android") for j in range(messages))
        event_ids = {
            enqueue(session, j, Event.NEXT_STEP, "zh", step_id=1, room="3-12", walking_minutes=3).event_id
            for j in range(messages)
        }
        session.commit()
    engine.dispose()  # no pooled connection may cross a fork

    started = time.perf_counter()
    workers = [
        forking.Process(target=run_dispatcher, args=(database_url, fake_url, key_file))
        for _ in range(dispatchers)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started

    control.send("report")
    accepted = control.recv()
    server.join()
    NotificationsBase.metadata.drop_all(engine)
    engine.dispose()
    delivered = len(event_ids & set(accepted))
    return {
        "case": case,
        "messages": messages,
        "delivered": delivered,
        "lost": messages - delivered,
        "duplicates": sum(count - 1 for count in accepted.values()),
        "seconds": round(seconds, 3),
    }


def sse_fanout_case(streams: int) -> dict:
    """Time from one queue change being published to the last of `streams` receiving it."""
    if os.environ.get("REDIS_URL"):
        publisher = RedisBroker(redis.Redis.from_url(os.environ["REDIS_URL"]))
        broker = RedisBroker(redis.Redis.from_url(os.environ["REDIS_URL"]))
    else:
        broker = InProcessBroker()
        publisher = broker
    channel = room_queue_channel("3-12")
    subscriptions = [broker.subscribe(channel) for _ in range(streams)]
    received_at: list[float] = []
    lock = threading.Lock()

    def browser(subscription) -> None:
        for frame in subscription:
            if "queue_changed" in frame:
                with lock:
                    received_at.append(time.perf_counter())
                return

    threads = [threading.Thread(target=browser, args=(s,)) for s in subscriptions]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    publisher.publish(channel, {"type": "queue_changed", "room": "3-12", "waiting": 4})
    for thread in threads:
        thread.join(timeout=30)
    for subscription in subscriptions:
        subscription.close()
    if isinstance(broker, RedisBroker):
        broker.stop()
    return {
        "case": "sse_fanout",
        "streams": len(received_at),
        "seconds_to_last": round(max(received_at) - started, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON lines")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--streams", type=int, default=1_000)
    parser.add_argument("--dispatchers", type=int, default=2, help="dispatcher processes")
    parser.add_argument("--sdk-backoff", action="store_true", help="keep the SDK's own sleeps")
    parser.add_argument(
        "--escalate-seconds", type=float, default=30.0, help="wait before an unseen call escalates"
    )
    parser.add_argument(
        "--rate", type=float, default=100.0, help="mixed_channels messages enqueued per second"
    )
    parser.add_argument(
        "--only", choices=["clean", "faults_503", "mixed_channels", "sse_fanout"], default=None
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("notifications").setLevel(logging.CRITICAL)
    if not args.sdk_backoff:
        urllib3.util.retry.Retry.sleep = lambda self, response=None: None

    wanted = [args.only] if args.only else ["clean", "faults_503", "mixed_channels", "sse_fanout"]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if "clean" in wanted:
            results.append(dispatch_case("clean", args.messages, 0.0, args.dispatchers, Path(tmp)))
        if "faults_503" in wanted:
            results.append(dispatch_case("faults_503", args.messages, 0.2, args.dispatchers, Path(tmp)))
        if "mixed_channels" in wanted:
            database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmp) / 'mixed.db'}"
            results.append(
                mixed_channels_case(
                    args.messages,
                    args.dispatchers,
                    Path(tmp),
                    database_url,
                    service_account,
                    args.escalate_seconds,
                    args.rate,
                )
            )
    if "sse_fanout" in wanted:
        results.append(sse_fanout_case(args.streams))
    for result in results:
        if not args.json:
            print(f"# {result['case']}")
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
