"""The mixed_channels row of bench/notifications.py: calls reach patients over FCM, WeChat, SMS
and Web Push (each the real SDK or client against a local fake), with 10 % of each channel's
addresses dead for good and 10 % of "your turn" messages never acknowledged, so they escalate.

Messages are enqueued open-loop at a steady rate while dispatcher processes deliver them, as a
day's calls would arrive; a "patient" loop marks each acknowledged call seen as soon as a fake
has accepted it. Loss, duplicates and escalation times are counted from what the fakes
accepted, not from CarePath's own records.
"""

import json
import multiprocessing
import random
import statistics
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from notifications.db import NotificationsBase
from notifications.devices import CHANNELS, FCM, SMS, WEBPUSH, WECHAT, register_device
from notifications.dispatcher import DispatchConfig, Dispatcher, RetryPolicy
from notifications.events import Event
from notifications.outbox import OutboxMessage, enqueue, mark_seen
from notifications.phones import PhoneCipher, register_phone
from notifications.preferences import set_preference
from notifications.transports.fcm import FcmTransport
from notifications.transports.sms import SmsTransport
from notifications.transports.webpush import WebPushTransport
from notifications.transports.wechat import WeChatTransport
from tests.notifications.channel_fakes import running_channels
from tests.notifications.fake_fcm import FakeFcm, point_sdk_at

MESSAGES_PER_JOURNEY = 4
OTHER_EVENTS = [
    (Event.NEXT_STEP, {"room": "3-12", "walking_minutes": 3}),
    (Event.TURN_SOON, {"people_ahead": 2, "minutes": 5}),
    (Event.MAY_EAT, {}),
    (Event.REPORT_READY, {}),
]


def serve_fakes(control: Connection, dead: dict[str, list[str]], subscriptions: int) -> None:
    """All four fakes in one process of their own (they would not share our interpreter)."""
    with FakeFcm() as fcm, running_channels() as channels:
        fcm.unregistered.update(dead[FCM])
        channels.wechat.gone.update(dead[WECHAT])
        channels.sms.blacklisted.update(dead[SMS])
        made = [channels.push.subscribe() for _ in range(subscriptions)]
        channels.push.gone.update(made[int(i)]["endpoint"].rsplit("/", 1)[1] for i in dead[WEBPUSH])
        control.send({"fcm_url": fcm.url, "environ": channels.environ, "subscriptions": made})
        fakes = {FCM: fcm, WECHAT: channels.wechat, SMS: channels.sms, WEBPUSH: channels.push}
        sent = dict.fromkeys(fakes, 0)
        while control.recv() == "poll":
            new = {}
            for channel, fake in fakes.items():
                accepted = fake.accepted()
                new[channel], sent[channel] = accepted[sent[channel] :], len(accepted)
            control.send(new)


def run_dispatcher(
    database_url: str, fcm_url: str, key_file: str, environ: dict, escalate: float, done
) -> None:
    engine = sa.create_engine(database_url, connect_args=_connect_args(database_url))
    fcm = FcmTransport.from_service_account(key_file)
    point_sdk_at(fcm_url, fcm.app)
    transports = [
        fcm,
        WeChatTransport.from_environment(environ),
        SmsTransport.from_environment(environ),
        WebPushTransport.from_environment(environ),
    ]
    config = DispatchConfig(
        retry=RetryPolicy(max_attempts=8, base_seconds=0.05, cap_seconds=1.0), escalate_after_seconds=escalate
    )
    dispatcher = Dispatcher(sessionmaker(engine), [t for t in transports if t is not None], config)
    while True:
        dispatcher.run_until_idle()
        due = dispatcher.next_due()
        if due is None and done.is_set():
            return
        wait = 0.1 if due is None else due.timestamp() - time.time()
        time.sleep(min(0.1, max(0.0, wait)))


def _connect_args(url: str) -> dict:
    return {"timeout": 60} if url.startswith("sqlite") else {}


def mixed_channels_case(
    messages: int,
    dispatchers: int,
    directory: Path,
    database_url: str,
    key_file_for: Callable[[Path, str], Path],
    escalate_seconds: float,
    rate: float,
) -> dict:
    rng = random.Random(2027)
    journeys = max(1, messages // MESSAGES_PER_JOURNEY)
    # Each patient reaches us on one to four channels, in their own order of preference.
    reach = {j: rng.sample(CHANNELS, rng.choice([1, 2, 2, 3, 3, 4])) for j in range(journeys)}
    on = {c: [j for j in range(journeys) if c in reach[j]] for c in CHANNELS}
    dead_journeys = {c: set(rng.sample(on[c], len(on[c]) // 10)) for c in CHANNELS}
    push_index = {j: i for i, j in enumerate(on[WEBPUSH])}
    dead = {
        FCM: [f"tok-{j}" for j in dead_journeys[FCM]],
        WECHAT: [f"openid-{j}" for j in dead_journeys[WECHAT]],
        SMS: [_phone(j) for j in dead_journeys[SMS]],
        WEBPUSH: [str(push_index[j]) for j in dead_journeys[WEBPUSH]],
    }
    forking = multiprocessing.get_context("fork")
    control, server_end = forking.Pipe()
    server = forking.Process(target=serve_fakes, args=(server_end, dead, len(on[WEBPUSH])), daemon=True)
    server.start()
    started = control.recv()
    key_file = str(key_file_for(directory, started["fcm_url"]))

    engine = sa.create_engine(database_url, connect_args=_connect_args(database_url))
    NotificationsBase.metadata.drop_all(engine)
    NotificationsBase.metadata.create_all(engine)
    cipher = PhoneCipher(started["environ"]["CAREPATH_PHONE_KEY"])
    with sessionmaker(engine)() as session:
        for j, channels in reach.items():
            for channel in channels:
                if channel == SMS:
                    register_phone(session, j, _phone(j), cipher)
                elif channel == WEBPUSH:
                    subscription = started["subscriptions"][push_index[j]]
                    register_device(session, j, json.dumps(subscription), "web", channel=WEBPUSH)
                else:
                    token = f"tok-{j}" if channel == FCM else f"openid-{j}"
                    register_device(
                        session, j, token, "android" if channel == FCM else "wechat", channel=channel
                    )
            set_preference(session, j, channels)
        session.commit()
    engine.dispose()  # no pooled connection may cross a fork

    done = forking.Event()
    workers = [
        forking.Process(
            target=run_dispatcher,
            args=(database_url, started["fcm_url"], key_file, started["environ"], escalate_seconds, done),
        )
        for _ in range(dispatchers)
    ]
    for worker in workers:
        worker.start()
    engine = sa.create_engine(database_url, connect_args=_connect_args(database_url))
    factory = sessionmaker(engine)
    created: dict[str, float] = {}
    journey_of: dict[str, int] = {}
    ignored: set[str] = set()  # "your turn" messages the patient never acknowledges
    calls: set[str] = set()
    deliveries: dict[str, list[tuple[str, float]]] = defaultdict(list)
    seen: set[str] = set()
    lock = threading.Lock()

    def patient_loop(stop: threading.Event) -> None:
        """Poll the fakes; each acknowledged call is marked seen once a channel has it."""
        while True:
            finished = stop.is_set()
            control.send("poll")
            fresh = control.recv()
            with lock:
                for channel, accepted in fresh.items():
                    for event_id, at in accepted:
                        deliveries[event_id].append((channel, at))
                to_mark = [e for e in deliveries if e in calls and e not in ignored and e not in seen]
                seen.update(to_mark)
            if to_mark:
                with factory() as session:
                    for event_id in to_mark:
                        mark_seen(session, journey_of[event_id], _utc(time.time()), event_id)
                    session.commit()
            if finished:
                return
            time.sleep(0.2)

    stop = threading.Event()
    patient = threading.Thread(target=patient_loop, args=(stop,))
    patient.start()
    began = time.perf_counter()
    order = [(j, k) for k in range(MESSAGES_PER_JOURNEY) for j in range(journeys)]
    batch = max(1, int(rate / 10))
    for start in range(0, len(order), batch):
        with factory() as session:
            fresh = []
            for j, _ in order[start : start + batch]:
                turn = rng.random() < 0.3
                event, params = (
                    (Event.TURN_NOW, {"room": "3-12", "desk": 2}) if turn else rng.choice(OTHER_EVENTS)
                )
                message = enqueue(session, j, event, "zh", step_id=j, **params)
                fresh.append((message.event_id, j, turn))
            session.commit()
            now = time.time()
        with lock:
            for event_id, j, turn in fresh:
                created[event_id], journey_of[event_id] = now, j
                if turn:
                    calls.add(event_id)
                    if rng.random() < 0.1:
                        ignored.add(event_id)
        time.sleep(max(0.0, began + (start + batch) / rate - time.perf_counter()))
    done.set()
    for worker in workers:
        worker.join()
    stop.set()
    patient.join()
    seconds = time.perf_counter() - began
    control.send("stop")
    server.join()

    with factory() as session:
        escalations = dict(
            session.execute(sa.select(OutboxMessage.event_id, OutboxMessage.escalations)).all()
        )
    NotificationsBase.metadata.drop_all(engine)
    engine.dispose()

    working = {j: [c for c in reach[j] if j not in dead_journeys[c]] for j in reach}
    duplicates = lost = 0
    escalation_times = []
    first_delivery = [
        min(at for _, at in deliveries[e]) - created[e] for e in journey_of if deliveries.get(e)
    ]
    for event_id, j in journey_of.items():
        per_channel = Counter(channel for channel, _ in deliveries.get(event_id, []))
        duplicates += sum(count - 1 for count in per_channel.values())
        duplicates += max(0, len(per_channel) - 1 - escalations.get(event_id, 0))
        if not per_channel and working[j]:
            lost += 1
        if escalations.get(event_id) and per_channel:
            escalation_times.append(max(at for _, at in deliveries[event_id]) - created[event_id])
    return {
        "case": "mixed_channels",
        "messages": len(journey_of),
        "delivered": sum(1 for e in journey_of if deliveries.get(e)),
        "lost": lost,
        "duplicates": duplicates,
        "escalated": sum(1 for e in journey_of if escalations.get(e)),
        "unacknowledged_calls": len(ignored),
        "escalation_timeout_s": escalate_seconds,
        "escalation_p99_s": round(_p99(escalation_times), 3) if escalation_times else None,
        "escalation_median_s": round(statistics.median(escalation_times), 3) if escalation_times else None,
        "delivery_p99_s": round(_p99(first_delivery), 3) if first_delivery else None,
        "no_working_channel": sum(1 for j in reach if not working[j]) * MESSAGES_PER_JOURNEY,
        "seconds": round(seconds, 3),
    }


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def _phone(j: int) -> str:
    return f"+86139{j:08d}"


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
