"""What the patient reads, in Chinese or English, and nothing that reveals their health.

Two texts per event. The *lock-screen* text goes into the push notification and is generic on
purpose: a phone on a waiting-room chair must not tell a neighbour which exam its owner is
having. The *detail* text is what the phone page shows once the patient opens it (fetched by
event id). Parameters are numbers only: rooms and desks are named by number ("Room 3-12,
desk 2") because a department name ("Oncology") would reveal the exam. Anything else is
refused here, so a caller cannot pass a name or an exam through by mistake. A booking's
messages also carry a day, times of day and the patient's own booking link, each checked
against its shape.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from notifications.events import Event

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"

# "3-12", "12", "B2-104": a building letter at most, never a word.
ROOM_NUMBER = re.compile(r"^[A-Z]?\d{1,4}(-\d{1,4}){0,2}$")
# The patient's booking page or its calendar file (navigation/booking/links.py): nothing else.
BOOKING_LINK = re.compile(
    r"^(https?://[A-Za-z0-9.-]+(:\d{1,5})?)?(/[A-Za-z0-9._~-]+)*"
    r"/(b/bk_\d{1,18}_[\w-]{43}|booking-links/bk_\d{1,18}_[\w-]{43}/calendar\.ics)$",
    re.A,
)


class Param(Enum):
    ROOM = "room number such as 3-12"
    NUMBER = "whole number >= 0"
    WHY = "category of a room pause"
    DAY = "day such as 2026-12-01"
    TIME = "time of day such as 08:30"
    LINK = "booking link such as https://host/b/bk_1_... (or its calendar.ics)"


_SHAPES = {
    Param.ROOM: ROOM_NUMBER,
    Param.DAY: re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    Param.TIME: re.compile(r"^([01]\d|2[0-3]):[0-5]\d$"),
    Param.LINK: BOOKING_LINK,
}


PARAMS: dict[Event, dict[str, Param]] = {
    Event.JOURNEY_STARTED: {},
    Event.NEXT_STEP: {"room": Param.ROOM, "walking_minutes": Param.NUMBER},
    Event.TURN_SOON: {"people_ahead": Param.NUMBER, "minutes": Param.NUMBER},
    Event.TURN_NOW: {"room": Param.ROOM, "desk": Param.NUMBER},
    Event.PLAN_CHANGED: {},
    Event.MAY_EAT: {},
    Event.REPORT_READY: {},
    Event.JOURNEY_COMPLETE: {},
    Event.JOURNEY_CLOSED: {},
    Event.BOOKING_CONFIRMED: {
        "day": Param.DAY,
        "start": Param.TIME,
        "end": Param.TIME,
        "link": Param.LINK,
        "calendar": Param.LINK,
    },
    Event.BOOKING_PREPARE: {"day": Param.DAY, "start": Param.TIME, "end": Param.TIME},
    Event.BOOKING_ARRIVE: {"start": Param.TIME, "end": Param.TIME},
    Event.BOOKING_MOVED: {"day": Param.DAY, "start": Param.TIME, "end": Param.TIME, "link": Param.LINK},
    Event.BOOKING_CANCELLED: {"day": Param.DAY},
    Event.BOOKING_MISSED: {"link": Param.LINK},
    Event.BOOKING_EXPIRED: {},
}
# Given or not, each adding a line before the detail text (the same lines the booking answer
# and its calendar file give: navigation/booking/preparation.py).
OPTIONAL: dict[Event, dict[str, Param]] = {
    Event.BOOKING_PREPARE: {"fasting_from": Param.TIME, "water_at": Param.TIME},
}
PREPARE_LINES: dict[str, dict[str, str]] = {
    "fasting_from": {
        "en": "Nothing to eat after {fasting_from} the evening before; plain water is fine.",
        "zh": "检查前一天{fasting_from}后请勿进食，可以喝白开水。",
    },
    "water_at": {
        "en": "At {water_at}, drink 1 litre of water and do not empty your bladder until the scan.",
        "zh": "请于{water_at}饮水约1升，检查前请勿排尿。",
    },
}
# Given together or not at all: the variant of the detail text that says why.
WITH_WHY: dict[Event, dict[str, Param]] = {Event.PLAN_CHANGED: {"room": Param.ROOM, "why": Param.WHY}}

# Why a room is paused, in the patient's words (never the nurse's free text).
_WHY: dict[str, dict[str, str]] = {
    "en": {
        "maintenance": "The room is closed for maintenance.",
        "cleaning": "The room is closed for cleaning.",
        "equipment": "The room's equipment is out of order.",
        "staff": "The room has no staff free at the moment.",
        "emergency": "The room is taken by an emergency.",
        "other": "The room is closed for a while.",
    },
    "zh": {
        "maintenance": "该诊室正在维护，暂停服务。",
        "cleaning": "该诊室正在清洁，暂停服务。",
        "equipment": "该诊室设备故障，暂停服务。",
        "staff": "该诊室暂时没有医护人员，暂停服务。",
        "emergency": "该诊室正在处理急诊，暂停服务。",
        "other": "该诊室暂停服务。",
    },
}
PAUSE_CATEGORIES = tuple(_WHY[DEFAULT_LANGUAGE])
_DETAIL_WHY = {
    "en": "{why} Please go by your ticket and place on the page: Room {room}.",
    "zh": "{why}请按页面上的号码和地点前往：{room} 室。",
}

_LOCK_SCREEN: dict[str, dict[Event, str]] = {
    "en": {
        Event.JOURNEY_STARTED: "Your visit has started",
        Event.NEXT_STEP: "Your next step is ready",
        Event.TURN_SOON: "Your turn is coming up",
        Event.TURN_NOW: "It's your turn",
        Event.PLAN_CHANGED: "Your plan has changed",
        Event.MAY_EAT: "An update about your visit",
        Event.REPORT_READY: "An update about your visit",
        Event.JOURNEY_COMPLETE: "Your visit is complete",
        Event.JOURNEY_CLOSED: "Your visit has been closed",
        Event.BOOKING_CONFIRMED: "Your booking is confirmed",
        Event.BOOKING_PREPARE: "Your visit is tomorrow",
        Event.BOOKING_ARRIVE: "Your visit is today",
        Event.BOOKING_MOVED: "Your booking has moved",
        Event.BOOKING_CANCELLED: "Your booking is cancelled",
        Event.BOOKING_MISSED: "You missed your booking",
        Event.BOOKING_EXPIRED: "Your booking was released",
    },
    "zh": {
        Event.JOURNEY_STARTED: "您的就诊已开始",
        Event.NEXT_STEP: "您的下一步已就绪",
        Event.TURN_SOON: "即将轮到您",
        Event.TURN_NOW: "轮到您了",
        Event.PLAN_CHANGED: "您的安排有变化",
        Event.MAY_EAT: "您的就诊有新消息",
        Event.REPORT_READY: "您的就诊有新消息",
        Event.JOURNEY_COMPLETE: "您的就诊已完成",
        Event.JOURNEY_CLOSED: "您的就诊已结束",
        Event.BOOKING_CONFIRMED: "您的预约已确认",
        Event.BOOKING_PREPARE: "明天就诊提醒",
        Event.BOOKING_ARRIVE: "今天就诊提醒",
        Event.BOOKING_MOVED: "您的预约已改期",
        Event.BOOKING_CANCELLED: "您的预约已取消",
        Event.BOOKING_MISSED: "您错过了预约时间",
        Event.BOOKING_EXPIRED: "您的预约已释放",
    },
}

_OPEN_APP = {"en": "Open CarePath for details.", "zh": "请打开 CarePath 查看详情。"}

_DETAIL: dict[str, dict[Event, str]] = {
    "en": {
        Event.JOURNEY_STARTED: "Welcome. Your visit plan is ready.",
        Event.NEXT_STEP: "Next: go to Room {room}, about {walking_minutes} min walk.",
        Event.TURN_SOON: "{people_ahead} people ahead of you, about {minutes} min.",
        Event.TURN_NOW: "It's your turn: Room {room}, desk {desk}.",
        Event.PLAN_CHANGED: "Your plan has changed. Please check your next step.",
        Event.MAY_EAT: "Your fasting exams are done. You may eat and drink now.",
        Event.REPORT_READY: "A report is ready. Ask at the desk or view it in CarePath.",
        Event.JOURNEY_COMPLETE: "Your visit is complete. Thank you.",
        Event.JOURNEY_CLOSED: "The hospital has closed today's visit. If you did not expect this, please ask at reception.",
        Event.BOOKING_CONFIRMED: "Booked: arrive on {day} between {start} and {end}. Your booking and changes: {link} Calendar file: {calendar}",
        Event.BOOKING_PREPARE: "Tomorrow, {day}: arrive between {start} and {end}.",
        Event.BOOKING_ARRIVE: "Today: please arrive between {start} and {end} and check in at reception.",
        Event.BOOKING_MOVED: "Your booking has moved: arrive on {day} between {start} and {end}. Details: {link}",
        Event.BOOKING_CANCELLED: "Your booking for {day} is cancelled.",
        Event.BOOKING_MISSED: "You missed your arrival window and the time was released. Choose a new one: {link}",
        Event.BOOKING_EXPIRED: "Your booking was not paid in time and the time was released. Please ask reception to book again.",
    },
    "zh": {
        Event.JOURNEY_STARTED: "欢迎。您的就诊安排已就绪。",
        Event.NEXT_STEP: "下一步：请前往 {room} 室，步行约 {walking_minutes} 分钟。",
        Event.TURN_SOON: "您前面还有 {people_ahead} 人，约 {minutes} 分钟。",
        Event.TURN_NOW: "轮到您了：{room} 室，{desk} 号台。",
        Event.PLAN_CHANGED: "您的安排有变化，请查看下一步。",
        Event.MAY_EAT: "您的空腹检查已完成，现在可以进食饮水。",
        Event.REPORT_READY: "报告已出，可在服务台领取或在 CarePath 查看。",
        Event.JOURNEY_COMPLETE: "您的就诊已完成，谢谢。",
        Event.JOURNEY_CLOSED: "医院已结束您今天的就诊。如有疑问，请到服务台咨询。",
        Event.BOOKING_CONFIRMED: "预约成功：请于{day} {start}至{end}之间到达。查看或更改预约：{link} 加入日历：{calendar}",
        Event.BOOKING_PREPARE: "明天（{day}）请于{start}至{end}之间到达。",
        Event.BOOKING_ARRIVE: "今天请于{start}至{end}之间到达，并到服务台报到。",
        Event.BOOKING_MOVED: "您的预约已改期：请于{day} {start}至{end}之间到达。详情：{link}",
        Event.BOOKING_CANCELLED: "您{day}的预约已取消。",
        Event.BOOKING_MISSED: "您错过了到达时间，预约已释放。请选择新的时间：{link}",
        Event.BOOKING_EXPIRED: "您的预约未按时缴费，已释放。请到服务台重新预约。",
    },
}


@dataclass(frozen=True)
class Rendered:
    title: str  # lock-screen text, generic
    body: str  # lock-screen text, generic
    detail: str  # shown on the phone page after opening


def language_or_default(language: str | None) -> str:
    """Patients' language tags vary ("zh-CN", "zh_Hans", "EN"); anything else falls back."""
    base = (language or "").replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def check_params(event: Event, params: Mapping[str, object]) -> dict[str, int | str]:
    """Refuse unknown, missing or non-numeric parameters (the way PHI would slip in)."""
    expected = WITH_WHY[event] if event in WITH_WHY and params else PARAMS[event]
    optional = OPTIONAL.get(event, {})
    unknown = set(params) - set(expected) - set(optional)
    missing = set(expected) - set(params)
    if unknown or missing:
        raise ValueError(
            f"{event.value} takes {sorted(expected)}; unknown {sorted(unknown)}, missing {sorted(missing)}"
        )
    checked: dict[str, int | str] = {}
    for name, kind in {**expected, **optional}.items():
        if name not in params:
            continue
        value = params[name]
        if (
            kind in _SHAPES
            and isinstance(value, str)
            and _SHAPES[kind].match(value)
            or (
                kind is Param.NUMBER and isinstance(value, int) and not isinstance(value, bool) and value >= 0
            )
            or (kind is Param.WHY and value in PAUSE_CATEGORIES)
        ):
            checked[name] = value
        else:
            raise ValueError(f"{event.value}.{name} must be a {kind.value}, got {value!r}")
    return checked


def render(event: Event, language: str | None, params: Mapping[str, object]) -> Rendered:
    lang = language_or_default(language)
    checked = check_params(event, params)
    if "why" in checked:
        detail = _DETAIL_WHY[lang].format(room=checked["room"], why=_WHY[lang][str(checked["why"])])
    else:
        lines = [PREPARE_LINES[name][lang] for name in OPTIONAL.get(event, {}) if name in checked]
        detail = ("" if lang == "zh" else " ").join([*lines, _DETAIL[lang][event]]).format(**checked)
    return Rendered(title=_LOCK_SCREEN[lang][event], body=_OPEN_APP[lang], detail=detail)
