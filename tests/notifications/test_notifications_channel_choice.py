"""Which channel carries each message: the patient's preference, fallback when a channel fails
for good, escalation of an unseen "your turn". Real transports on local fakes throughout."""

import json
import random
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from notifications.devices import WEBPUSH, WECHAT, Device, register_device
from notifications.dispatcher import DispatchConfig, Dispatcher
from notifications.events import Event
from notifications.outbox import delivery_states, enqueue, mark_seen, unseen_calls
from notifications.phones import register_phone
from notifications.preferences import parse_order, set_preference
from tests.conftest import T0, Clock
from tests.notifications.channel_fakes import Channels

PHONE = "+8613800138000"
DAY = [  # every step of a day, in order, with its numbers
    (Event.JOURNEY_STARTED, {}),
    (Event.NEXT_STEP, {"room": "3-12", "walking_minutes": 4}),
    (Event.TURN_SOON, {"people_ahead": 2, "minutes": 6}),
    (Event.TURN_NOW, {"room": "3-12", "desk": 2}),
    (Event.MAY_EAT, {}),
    (Event.REPORT_READY, {}),
    (Event.JOURNEY_COMPLETE, {}),
]


def dispatcher(session_factory: sessionmaker[Session], transports: list, clock: Clock) -> Dispatcher:
    config = DispatchConfig(escalate_after_seconds=60, channel_order=parse_order("fcm,webpush,wechat,sms"))
    return Dispatcher(session_factory, transports, config, clock=clock, rng=random.Random(1))


def bind(session: Session, channels: Channels, journey_id: int, *kinds: str) -> dict[str, str]:
    """Give the journey an address on each named channel; returns the fakes' names for them."""
    names = {}
    for kind in kinds:
        if kind == WECHAT:
            names[kind] = f"openid-{journey_id}"
            register_device(session, journey_id, names[kind], "wechat", channel=WECHAT)
        elif kind == "sms":
            register_phone(session, journey_id, PHONE, channels.cipher)
            names[kind] = PHONE
        else:
            subscription = channels.push.subscribe()
            names[kind] = subscription["endpoint"].rsplit("/", 1)[1]
            register_device(session, journey_id, json.dumps(subscription), "web", channel=WEBPUSH)
    return names


def test_a_patient_with_only_wechat_only_sms_or_only_a_browser_gets_every_step_of_the_day(
    session_factory: sessionmaker[Session], channels: Channels, channel_transports: list
) -> None:
    clock = Clock(T0)
    worker = dispatcher(session_factory, channel_transports, clock)
    with session_factory() as session:
        for journey_id, kind in [(1, WECHAT), (2, "sms"), (3, WEBPUSH)]:
            bind(session, channels, journey_id, kind)
        session.commit()

    sent: dict[int, list[str]] = {1: [], 2: [], 3: []}
    for event, params in DAY:
        with session_factory() as session:
            for journey_id in sent:
                message = enqueue(session, journey_id, event, "zh", step_id=5, now=clock(), **params)
                sent[journey_id].append(message.event_id)
            session.commit()
        worker.run_pass()
        with session_factory() as session:  # the patient opens each message
            for journey_id in sent:
                mark_seen(session, journey_id, clock())
            session.commit()
        clock.advance(minutes=20)

    assert sorted(channels.wechat.delivered()) == sorted(sent[1])
    assert sorted(channels.sms.delivered()) == sorted(sent[2])
    assert sorted(channels.push.delivered()) == sorted(sent[3])
    call = next(s for s in channels.sms.texts if s.template_id == "100001")
    assert call.params == ["3-12", "2"]  # the SMS says where to go, by number only
    wechat_call = next(s for s in channels.wechat.sent if s.template_id == "TPL-TURN")
    assert wechat_call.data["character_string2"] == "3-12"
    with session_factory() as session:
        assert {s.channel for s in delivery_states(session, 2)} == {"sms"}


def test_a_channel_that_fails_for_good_falls_back_in_the_patients_order(
    session_factory: sessionmaker[Session], channels: Channels, channel_transports: list
) -> None:
    clock = Clock(T0)
    with session_factory() as session:
        names = bind(session, channels, 7, WECHAT, "sms", WEBPUSH)
        set_preference(session, 7, [WECHAT, "sms"])  # reception asked; the browser comes after
        [event_id] = [enqueue(session, 7, Event.MAY_EAT, "en", now=clock()).event_id]
        session.commit()
    channels.wechat.gone.add(names[WECHAT])  # the openid is not (any more) of this account

    dispatcher(session_factory, channel_transports, clock).run_until_idle()

    assert channels.wechat.delivered() == {}
    assert channels.sms.delivered() == {event_id: 1}
    assert channels.push.delivered() == {}
    with session_factory() as session:
        [state] = delivery_states(session, 7)
        assert session.scalars(sa.select(Device.channel).where(Device.journey_id == 7)).all() == [
            "sms",
            WEBPUSH,
        ]  # the WeChat binding is gone
    assert (state.status, state.channel) == ("delivered", "sms")


def test_a_patient_refusing_wechat_and_sms_rejecting_the_template_ends_on_the_browser(
    session_factory: sessionmaker[Session], channels: Channels, channel_transports: list
) -> None:
    clock = Clock(T0)
    with session_factory() as session:
        names = bind(session, channels, 7, WECHAT, "sms", WEBPUSH)
        set_preference(session, 7, [WECHAT, "sms", WEBPUSH])
        event_id = enqueue(session, 7, Event.REPORT_READY, "en", now=clock()).event_id
        session.commit()
    channels.wechat.refused.add(names[WECHAT])
    channels.sms.script(PHONE, "FailedOperation.TemplateIncorrectOrUnapproved")

    dispatcher(session_factory, channel_transports, clock).run_until_idle()

    assert channels.push.delivered() == {event_id: 1}
    with session_factory() as session:
        [state] = delivery_states(session, 7)
    assert (state.status, state.channel) == ("delivered", WEBPUSH)


def call(session_factory: sessionmaker[Session], clock: Clock, journey_id: int = 7) -> str:
    with session_factory() as session:
        message = enqueue(
            session, journey_id, Event.TURN_NOW, "zh", step_id=9, now=clock(), room="3-12", desk=2
        )
        session.commit()
        return message.event_id


def test_an_unseen_call_is_sent_again_on_the_next_channel_once(
    session_factory: sessionmaker[Session], channels: Channels, channel_transports: list
) -> None:
    clock = Clock(T0)
    with session_factory() as session:
        bind(session, channels, 7, WEBPUSH, WECHAT, "sms")
        set_preference(session, 7, [WEBPUSH, WECHAT, "sms"])
        session.commit()
    event_id = call(session_factory, clock)
    worker = dispatcher(session_factory, channel_transports, clock)

    worker.run_pass()
    assert channels.push.delivered() == {event_id: 1} and channels.wechat.delivered() == {}
    assert worker.next_due() == clock() + timedelta(seconds=60)
    with session_factory() as session:
        assert unseen_calls(session, [7]) == {(7, "9")}  # the nurse board: "not yet seen"

    clock.advance(seconds=59)
    worker.run_pass()
    assert channels.wechat.delivered() == {}
    clock.advance(seconds=1)
    report = worker.run_pass()

    assert report.escalated == 1
    assert channels.wechat.delivered() == {event_id: 1}
    assert channels.push.delivered() == {event_id: 1}  # not sent again on the first channel
    clock.advance(minutes=2)
    worker.run_pass()
    assert channels.sms.delivered() == {}  # escalated once, not down the whole list
    with session_factory() as session:
        [state] = delivery_states(session, 7)
    assert (state.status, state.channel, state.escalations, state.seen_at) == ("delivered", WECHAT, 1, None)


def test_a_call_the_patient_has_seen_is_not_escalated(
    session_factory: sessionmaker[Session], channels: Channels, channel_transports: list
) -> None:
    clock = Clock(T0)
    with session_factory() as session:
        bind(session, channels, 7, WEBPUSH, "sms")
        session.commit()
    call(session_factory, clock)
    worker = dispatcher(session_factory, channel_transports, clock)
    worker.run_pass()

    clock.advance(seconds=20)
    with session_factory() as session:
        assert mark_seen(session, 7, clock()) == 1  # the push was opened
        session.commit()
        assert unseen_calls(session, [7]) == set()
    clock.advance(minutes=5)
    worker.run_pass()

    assert channels.sms.texts == []
    assert worker.next_due() is None
