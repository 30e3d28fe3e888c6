"""No protected health information leaves in a push: checked on what the fake FCM received."""

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from notifications.devices import register_device
from notifications.dispatcher import Dispatcher
from notifications.events import Event
from notifications.outbox import enqueue
from notifications.templates import PARAMS, ROOM_NUMBER, Param, check_params, render
from notifications.transports.fcm import FcmTransport
from tests.notifications.fake_fcm import FakeFcm

SAMPLE: dict[Param, int | str] = {
    Param.ROOM: "3-12",
    Param.NUMBER: 7,
    Param.DAY: "2026-12-01",
    Param.TIME: "08:30",
    Param.LINK: "https://carepath.test/b/bk_5_" + "A" * 43,
}


def sample_params(event: Event) -> dict[str, int | str]:
    return {name: SAMPLE[kind] for name, kind in PARAMS[event].items()}


def strings_in(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings_in(v)]]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("language", ["en", "zh"])
def test_pushes_carry_ids_and_generic_text_only(
    session_factory: sessionmaker[Session],
    fcm_transport: FcmTransport,
    fake_fcm: FakeFcm,
    language: str,
) -> None:
    with session_factory() as session:
        register_device(session, 42, "phone", "ios")
        details = {
            enqueue(session, 42, event, language, step_id=9, **sample_params(event)).detail for event in Event
        }
        session.commit()

    Dispatcher(session_factory, [fcm_transport]).run_pass()

    lock_screen = {render(e, language, sample_params(e)).title for e in Event}
    assert len(fake_fcm.requests) == len(Event)
    for received in fake_fcm.requests:
        message = received.body["message"]
        assert set(message["data"]) == {"event_id", "journey_id", "step_id"}
        assert message["data"]["journey_id"] == "42" and message["data"]["step_id"] == "9"
        assert message["notification"]["title"] in lock_screen
        # the event id is a random UUID, which may itself contain "3-12": read everything else
        sent = json.dumps({**message, "data": {**message["data"], "event_id": ""}}, ensure_ascii=False)
        assert "3-12" not in sent  # not even the room number reaches the lock screen
        assert not any(detail in sent for detail in details)


def test_turn_now_names_room_and_desk_by_number() -> None:
    assert render(Event.TURN_NOW, "en", {"room": "3-12", "desk": 2}).detail == (
        "It's your turn: Room 3-12, desk 2."
    )
    assert render(Event.TURN_SOON, "zh-Hans", {"people_ahead": 3, "minutes": 12}).detail == (
        "您前面还有 3 人，约 12 分钟。"
    )


@pytest.mark.parametrize(
    "params",
    [
        {"room": "Oncology", "desk": 2},
        {"room": "MRI-2", "desk": 2},
        {"room": "3-12", "desk": "2 (Dr. Wang)"},
        {"room": "3-12", "desk": 2, "patient_name": "Li Lei"},
        {"room": "3-12"},
        {"room": "3-12", "desk": True},
    ],
)
def test_anything_but_numbers_is_refused(params: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        check_params(Event.TURN_NOW, params)


@given(st.text(max_size=30))
def test_a_room_is_never_a_word(room: str) -> None:
    """Whatever a caller passes, an accepted room holds at most one letter."""
    try:
        checked = check_params(Event.TURN_NOW, {"room": room, "desk": 1})
    except ValueError:
        return
    assert ROOM_NUMBER.match(str(checked["room"]))
    assert sum(c.isalpha() for c in str(checked["room"])) <= 1


@given(
    event=st.sampled_from(list(Event)),
    language=st.sampled_from(["en", "zh", "zh-CN", "fr", None]),
    number=st.integers(min_value=0, max_value=10_000),
)
def test_every_event_renders_in_every_language(event: Event, language: str | None, number: int) -> None:
    numbers: dict[Param, int | str] = {Param.ROOM: "12-3", Param.NUMBER: number}
    params = {n: numbers.get(k, SAMPLE[k]) for n, k in PARAMS[event].items()}
    text = render(event, language, params)
    assert text.title and text.body and text.detail
    assert "{" not in text.detail


@pytest.mark.parametrize(
    "params",
    [
        {"link": "https://carepath.test/b/bk_5_" + "A" * 42},  # not a whole token
        {"link": "https://carepath.test/b/bk_5_" + "A" * 43 + "?exam=colonoscopy"},
        {"link": "https://carepath.test/oncology/b/bk_5_" + "A" * 43 + " Li Lei"},
        {"link": "Colonoscopy at https://carepath.test/b/bk_5_" + "A" * 43},
    ],
)
def test_a_booking_link_is_only_a_link(params: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        check_params(Event.BOOKING_MISSED, params)


def test_the_evening_before_says_what_to_do_in_the_patients_language() -> None:
    params = {"day": "2026-12-01", "start": "08:00", "end": "08:30", "fasting_from": "22:00"}
    assert render(Event.BOOKING_PREPARE, "en", params).detail == (
        "Nothing to eat after 22:00 the evening before; plain water is fine. "
        "Tomorrow, 2026-12-01: arrive between 08:00 and 08:30."
    )
    drink = {"day": "2026-12-01", "start": "13:00", "end": "13:30", "water_at": "12:20"}
    assert render(Event.BOOKING_PREPARE, "zh-CN", drink).detail == (
        "请于12:20饮水约1升，检查前请勿排尿。明天（2026-12-01）请于13:00至13:30之间到达。"
    )
    with pytest.raises(ValueError):
        render(Event.BOOKING_PREPARE, "en", {**params, "water_at": "drink before the MRI"})


def test_enqueue_only_adds_to_the_session_and_stamps_the_time_to_live() -> None:
    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)

    class Collecting:
        added: list[object] = []

        def add(self, row: object) -> None:
            self.added.append(row)

    message = enqueue(Collecting(), 1, "turn_now", "en", now=now, room="1", desk=1)  # type: ignore[arg-type]
    assert (message.expires_at - now).total_seconds() == 180
