"""Every operation of the OpenAPI document, called by every kind of caller, against a declared table.

The operations are read from `/api/openapi.json`, so a new endpoint cannot escape: this test fails
until EXPECTED says who may call it. A cell passes when an allowed caller gets past the access
check (any answer but 401/403/404/410) and a refused one gets 401, 403 or 404. Besides the table:
no answer to a caller outside patient A's care carries A's name or MRN, and every staff answer
that does carries a new audit row. On failure the whole observed table is printed.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from navigation.access import access_token
from navigation.models import AuditRecord, Closure, Journey, Site
from tests.conftest import T0, check_in_body

CALLERS = (
    "anonymous",
    "patient_a",
    "patient_b",
    "reception",
    "nurse",
    "admin",
    "interface",
    "regional",
    "north_admin",
)
EVERYONE = frozenset(CALLERS)
DESK = frozenset({"reception", "nurse", "admin"})  # staff of patient A's site
NURSES = frozenset({"nurse", "admin"})
PATIENT_A = frozenset({"patient_a"})
# Staff of another site may call these, and get their own site's rooms, boards and lists.
NURSES_ANYWHERE = NURSES | {"north_admin"}

EXPECTED: dict[str, frozenset[str]] = {
    "POST /api/v1/auth/login": EVERYONE,
    # a session's refresh token is the only key (tests/test_staff_sessions.py): no access token opens them
    "POST /api/v1/auth/refresh": frozenset(),
    "POST /api/v1/auth/logout": frozenset(),
    "GET /api/v1/catalog/exams": EVERYONE,
    "GET /api/v1/catalog": EVERYONE,
    "PUT /api/v1/catalog": frozenset({"regional"}),
    "PUT /api/v1/hospital": frozenset({"admin", "regional"}),
    "PUT /api/v1/sites/{site}/map": frozenset({"admin", "regional"}),
    "POST /api/v1/sites/{site}/map/imdf": frozenset({"admin", "regional"}),
    "GET /api/v1/sites/{site}/closures": NURSES,
    "POST /api/v1/sites/{site}/closures": NURSES,
    "DELETE /api/v1/sites/{site}/closures/{closure_id}": NURSES,
    "POST /api/v1/journeys": frozenset({"reception", "admin", "interface"}),
    "GET /api/v1/undelivered": DESK | {"north_admin"},
    "GET /api/v1/journeys/{journey_id}/qr.svg": DESK,
    # where is everyone: staff of another site get their own site's (empty) list
    "GET /api/v1/journeys": DESK | {"north_admin"},
    "POST /api/v1/journeys/{journey_id}/tasks/{task_id}/cancel": DESK,
    "POST /api/v1/journeys/{journey_id}/close": DESK,
    "POST /api/v1/journeys/{journey_id}/link": frozenset({"reception", "admin"}),
    "GET /api/v1/journeys/{journey_id}": PATIENT_A | DESK,
    "POST /api/v1/journeys/{journey_id}/tasks/{task_id}/complete": PATIENT_A | DESK,
    "POST /api/v1/journeys/{journey_id}/tasks/{task_id}/arrive": PATIENT_A | DESK,
    "POST /api/v1/journeys/{journey_id}/fasting": PATIENT_A | DESK,
    "POST /api/v1/journeys/{journey_id}/tasks/{task_id}/result-ready": NURSES,
    "POST /api/v1/journeys/{journey_id}/devices": PATIENT_A,
    "DELETE /api/v1/journeys/{journey_id}/devices": PATIENT_A,
    "GET /api/v1/journeys/{journey_id}/notifications": DESK,
    # how the patient is reached: the desk records channels and phone, the phone page the rest
    "GET /api/v1/journeys/{journey_id}/channels": PATIENT_A | DESK,
    "PUT /api/v1/journeys/{journey_id}/channels": PATIENT_A | DESK,
    "PUT /api/v1/journeys/{journey_id}/phone": PATIENT_A | DESK,
    "GET /api/v1/webpush/public-key": EVERYONE,
    "POST /api/v1/journeys/{journey_id}/push-subscriptions": PATIENT_A,
    "POST /api/v1/journeys/{journey_id}/seen": PATIENT_A,
    "POST /api/v1/journeys/{journey_id}/wechat/authorize": PATIENT_A,
    "GET /api/v1/wechat/callback": EVERYONE,
    # the screen beside a consulting room and its door scanner (the scanned link is the
    # credential), and the room's workstation (staff of the room's site)
    "GET /api/v1/call-screens/{site}/{room_code}": EVERYONE,
    "POST /api/v1/call-screens/{site}/{room_code}/live-ticket": EVERYONE,
    "POST /api/v1/call-screens/{site}/{room_code}/scans": EVERYONE,
    "POST /api/v1/workstations/{room_code}/live-ticket": NURSES,
    "GET /api/v1/sites/{site}/route": EVERYONE,
    "GET /api/v1/sites/{site}/route.svg": EVERYONE,
    "POST /api/v1/journeys/{journey_id}/live-ticket": PATIENT_A | DESK,
    "POST /api/v1/rooms/{room_id}/live-ticket": DESK,
    "GET /api/v1/live": EVERYONE,
    "GET /api/v1/queues/rooms": NURSES_ANYWHERE,
    "GET /api/v1/queues/rooms/{room_code}": NURSES,
    "GET /api/v1/queues/rooms/{room_code}/plan": NURSES,
    "GET /api/v1/queues/services/{room_type}": NURSES_ANYWHERE,
    "POST /api/v1/queues/rooms/{room_code}/call-next": NURSES,
    "POST /api/v1/queues/rooms/{room_code}/pause": NURSES,
    "POST /api/v1/queues/rooms/{room_code}/resume": NURSES,
    "POST /api/v1/queues/rooms/{room_code}/undo": NURSES,
    "GET /api/v1/queues/entries/{entry_id}": NURSES,
    **{
        f"POST /api/v1/queues/entries/{{entry_id}}/{action}": NURSES
        for action in [
            "recall",
            "start",
            "complete",
            "skip",
            "no-show",
            "rejoin",
            "move",
            "priority",
            "hold",
            "release",
        ]
    },
    # a patient saying "I'm here" at a room of their own site, about their own journey
    "POST /api/v1/queues/rooms/{room_code}/arrivals": frozenset({"patient_a", "patient_b"}),
    "GET /api/v1/queues/journeys/{journey_id}": PATIENT_A | DESK,
    "GET /api/v1/signage/{site}/{group}": EVERYONE,
    "GET /api/v1/sites/{site}/code-mappings": frozenset({"reception", "admin", "regional"}),
    "PUT /api/v1/sites/{site}/code-mappings": frozenset({"admin", "regional"}),
    # the own site's accounts (another site's admin sees and creates only their own)
    "GET /api/v1/staff": frozenset({"admin", "regional", "north_admin"}),
    "POST /api/v1/staff": frozenset({"admin", "regional"}),
    "PATCH /api/v1/staff/{username}": frozenset({"admin", "regional"}),
    # the audit trail: the own site's (another site's admin reads their own, without A in it)
    "GET /api/v1/audit": frozenset({"admin", "regional", "north_admin"}),
    # orders from the hospital's systems, into the caller's own site
    "POST /fhir/r4": frozenset({"reception", "admin", "interface", "north_admin"}),
    # journeys back out as FHIR: the capability statement is public; Tasks are the caller's site's
    "GET /fhir/r4/metadata": EVERYONE,
    "GET /fhir/r4/Task": DESK | {"north_admin"},
    "GET /api/v1/journeys/{journey_id}/fhir": DESK,
    # check-in by visit number from the site's own FHIR server, and where that server is
    "POST /api/v1/journeys/from-hospital": frozenset({"reception", "admin", "north_admin"}),
    "GET /api/v1/sites/{site}/fhir-server": frozenset({"admin", "regional"}),
    "PUT /api/v1/sites/{site}/fhir-server": frozenset({"admin", "regional"}),
    "GET /api/v1/sites/{site}/catalog": frozenset({"admin", "regional"}),
    "PUT /api/v1/sites/{site}/catalog": frozenset({"admin", "regional"}),
    # bookings before the visit day: the desk books into its own site; the patient's own link
    # is the credential of the booking-link operations
    "POST /api/v1/booking-offers": frozenset({"reception", "admin", "north_admin"}),
    "POST /api/v1/bookings": frozenset({"reception", "admin", "north_admin"}),
    # finding bookings: another site's desk gets its own site's (empty) list
    "GET /api/v1/bookings": frozenset({"reception", "admin", "north_admin"}),
    "GET /api/v1/bookings/{booking_id}": frozenset({"reception", "admin"}),
    "GET /api/v1/bookings/{booking_id}/offers": frozenset({"reception", "admin"}),
    "POST /api/v1/bookings/{booking_id}/pay": frozenset({"reception", "admin"}),
    "PUT /api/v1/bookings/{booking_id}/phone": frozenset({"reception", "admin"}),
    "POST /api/v1/bookings/{booking_id}/cancel": frozenset({"reception", "admin"}),
    "POST /api/v1/bookings/{booking_id}/rebook": frozenset({"reception", "admin"}),
    "GET /api/v1/booking-links/{booking_token}": EVERYONE,
    "GET /api/v1/booking-links/{booking_token}/offers": EVERYONE,
    "POST /api/v1/booking-links/{booking_token}/cancel": EVERYONE,
    "POST /api/v1/booking-links/{booking_token}/rebook": EVERYONE,
    "GET /api/v1/booking-links/{booking_token}/calendar.ics": EVERYONE,
    # the day's figures and the live dashboard: staff of the site; across sites, each their own
    "GET /api/v1/sites/{site}/kpis": DESK | {"regional"},
    "GET /api/v1/sites/{site}/dashboard": DESK | {"regional"},
    "GET /api/v1/kpis": DESK | {"regional", "north_admin"},
}
REFUSED = (401, 403, 404, 410)
# Callers who must never see patient A's name or MRN.
OUTSIDERS = frozenset({"anonymous", "patient_b", "interface", "regional", "north_admin"})
A_NAME, A_MRN = "Zhang Anxin", "MRN-A-7001"


def _demo(name: str) -> dict:
    return json.loads(resources.files("navigation.demo").joinpath(name).read_text("utf-8"))


@pytest.fixture
def world(app, client, check_in, north, session, monkeypatch):
    """Patient A waiting at the ECG room, patient B checked in, headers for every caller; the
    hospital has WeChat and Web Push set up (so their endpoints answer rather than 404)."""
    from navigation.catalog.loading import demo_catalog_document
    from notifications.transports.webpush import VapidConfig
    from notifications.transports.wechat import WeChatConfig
    from tests.notifications.channel_fakes import vapid_private_key

    monkeypatch.setitem(app.config, "VAPID", VapidConfig(vapid_private_key(), "mailto:it@hospital.example"))
    monkeypatch.setitem(
        app.config, "WECHAT", WeChatConfig("wx-app", "secret", {}, api_base="http://127.0.0.1:9")
    )

    a = check_in("ECG", visit="V-A", mrn=A_MRN, name=A_NAME)
    b = check_in("ECG", visit="V-B", mrn="MRN-B-7002", name="Qian Beiyu")
    as_a = {"Authorization": f"Bearer {a['access_token']}"}
    payment = next(t for t in a["tasks"] if t["key"] == "payment")
    ecg = next(t for t in a["tasks"] if t["key"] == "exam:ECG")
    assert (
        client.post(f"/api/v1/journeys/{a['id']}/tasks/{payment['id']}/complete", headers=as_a).status_code
        == 200
    )
    arrived = client.post(f"/api/v1/journeys/{a['id']}/tasks/{ecg['id']}/arrive", headers=as_a)
    assert arrived.status_code == 200, arrived.json
    queue = client.get(f"/api/v1/queues/journeys/{a['id']}", headers=as_a).json[0]
    room = queue["room"]
    from tests.conftest import _login

    callers = {
        "anonymous": {},
        "patient_a": as_a,
        "patient_b": {"Authorization": f"Bearer {b['access_token']}"},
        **{name: _login(client, name) for name in ("reception", "nurse", "admin", "interface", "regional")},
        "north_admin": north["admin"],
    }
    demo_map = _demo("map.json")
    edge = demo_map["edges"][0]["id"]
    site_id = session.scalar(sa.select(Site.id).where(Site.code == "demo"))
    entry_id = client.get(f"/api/v1/queues/rooms/{room}", headers=callers["nurse"]).json["entries"][0]["id"]
    room_id = next(
        r["id"]
        for r in client.get("/api/v1/queues/rooms", headers=callers["nurse"]).json
        if r["code"] == room
    )
    visits = itertools.count(1)
    tomorrow = (T0.astimezone(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)).isoformat()

    def booking_body() -> dict:
        n = next(visits)
        patient = {"mrn": f"MRN-BK-{n}", "name": "Sun Qiming", "language": "en", "mobility": "walking"}
        return {"visit_number": f"VB-{n}", "patient": patient, "orders": [{"code": "ECG"}], "day": tomorrow}

    booking = client.post("/api/v1/bookings", json=booking_body(), headers=callers["reception"]).json

    def fresh_closure() -> int:
        closure = Closure(site_id=site_id, target_kind="edge", target_id=edge, reason="wet floor")
        session.add(closure)
        session.commit()
        return closure.id

    return {
        "callers": callers,
        # A's link as it is now (reception may have replaced it in the row before)
        "current_a": lambda: {
            "Authorization": f"Bearer {access_token('test-secret', session.get(Journey, a['id']))}"
        },
        "path": {
            "site": lambda: "demo",
            "journey_id": lambda: a["id"],
            "task_id": lambda: payment["id"],
            "entry_id": lambda: entry_id,
            "room_code": lambda: room,
            "room_id": lambda: room_id,
            "room_type": lambda: "ecg",
            "group": lambda: "ecg",
            "closure_id": fresh_closure,
            "username": lambda: "nurse",
            "booking_id": lambda: booking["id"],
            "booking_token": lambda: booking["link"].rsplit("/", 1)[1],
        },
        "arrive_task": ecg["id"],
        "bodies": {
            "POST /api/v1/auth/login": lambda: {"username": "nurse", "password": "demo"},
            "PUT /api/v1/sites/{site}/code-mappings": lambda: [
                {"system": "http://loinc.org", "code": "11524-6", "exam_code": "ECG"}
            ],
            "POST /api/v1/staff": lambda: {
                "username": f"new-nurse-{next(visits)}",
                "role": "nurse",
                "site": "demo",
                "password": "a ward kettle sings at nine",
            },
            "PATCH /api/v1/staff/{username}": lambda: {"display_name": "Nurse on ward 3"},
            "POST /fhir/r4": lambda: {"resourceType": "Bundle", "type": "transaction", "entry": []},
            "POST /api/v1/journeys/from-hospital": lambda: {"visit_number": "V-A"},
            "PUT /api/v1/sites/{site}/fhir-server": lambda: {"base_url": "http://127.0.0.1:9/fhir"},
            "POST /api/v1/booking-offers": lambda: {"orders": [{"code": "ECG"}]},
            "POST /api/v1/bookings": booking_body,
            "POST /api/v1/bookings/{booking_id}/rebook": lambda: {"day": tomorrow},
            "PUT /api/v1/bookings/{booking_id}/phone": lambda: {"phone": "+8613800138000"},
            "POST /api/v1/booking-links/{booking_token}/rebook": lambda: {"day": tomorrow},
            "PUT /api/v1/sites/{site}/catalog": lambda: {"exam_types": {"ECG": {"duration_min": 15}}},
            "PUT /api/v1/catalog": demo_catalog_document,
            "PUT /api/v1/hospital": lambda: _demo("hospital.json"),
            "PUT /api/v1/sites/{site}/map": lambda: demo_map,
            "POST /api/v1/sites/{site}/closures": lambda: {"target": edge, "reason": "wet floor"},
            "POST /api/v1/journeys": lambda: {
                **check_in_body("ECG", visit=f"V-NEW-{next(visits)}", mrn=f"MRN-NEW-{next(visits)}"),
                "site": "demo",
            },
            "POST /api/v1/journeys/{journey_id}/devices": lambda: {"token": "phone-a", "platform": "android"},
            "PUT /api/v1/journeys/{journey_id}/channels": lambda: {"channels": ["wechat", "sms"]},
            "PUT /api/v1/journeys/{journey_id}/phone": lambda: {"phone": "+8613800138000"},
            "POST /api/v1/journeys/{journey_id}/push-subscriptions": lambda: {
                "endpoint": "https://push.example/sub-1",
                "keys": {"p256dh": "BPk", "auth": "aa"},
            },
            "POST /api/v1/journeys/{journey_id}/tasks/{task_id}/cancel": lambda: {"reason": "ordered twice"},
            "POST /api/v1/journeys/{journey_id}/close": lambda: {"reason": "went home"},
            "DELETE /api/v1/journeys/{journey_id}/devices": lambda: {"token": "phone-a"},
            "POST /api/v1/queues/rooms/{room_code}/pause": lambda: {"reason": "cleaning", "minutes": 5},
            "POST /api/v1/queues/entries/{entry_id}/skip": lambda: {"places": 1, "reason": "not here"},
            "POST /api/v1/queues/entries/{entry_id}/move": lambda: {"room": room, "reason": "same room"},
            "POST /api/v1/queues/entries/{entry_id}/priority": lambda: {"priority": 1, "reason": "pain"},
            "POST /api/v1/queues/entries/{entry_id}/hold": lambda: {"reason": "dizzy"},
        },
        "query": {
            "GET /api/v1/sites/{site}/route": {"from": "A1-01", "to": "A1-02"},
            "GET /api/v1/sites/{site}/route.svg": {"from": "A1-01", "to": "A1-02"},
            "GET /api/v1/live": {"ticket": "not-a-ticket"},
        },
    }


def _url(template: str, world: dict) -> str:
    values = dict(world["path"])
    if template.endswith("/arrive"):
        values["task_id"] = lambda: world["arrive_task"]
    url = template
    for name, value in values.items():
        if "{" + name + "}" in url:
            url = url.replace("{" + name + "}", str(value()))
    return url


def _call(client, operation: str, caller: str, world: dict) -> tuple[int, bytes]:
    method, template = operation.split(" ", 1)
    body: Callable[[], Any] | None = world["bodies"].get(operation)
    response = client.open(
        _url(template, world),
        method=method,
        json=body() if body else None,
        query_string=world["query"].get(operation),
        headers=world["current_a"]() if caller == "patient_a" else world["callers"][caller],
    )
    return response.status_code, response.get_data()


def test_every_operation_as_every_caller(client, session, world):
    spec = client.get("/api/openapi.json").json
    operations = [
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    undeclared = sorted(set(operations) - set(EXPECTED))
    assert not undeclared, "declare who may call these in EXPECTED:\n" + "\n".join(undeclared)

    observed: dict[str, dict[str, str]] = {}
    wrong: list[str] = []
    for operation in operations:
        allowed = EXPECTED[operation]
        row = observed.setdefault(operation, {})
        # refused callers first: a wrongly allowed one would change what the next one sees
        for caller in sorted(CALLERS, key=lambda c: c in allowed):
            audits_before = session.scalar(sa.select(sa.func.count()).select_from(AuditRecord))
            status, data = _call(client, operation, caller, world)
            session.expire_all()
            passed = status not in REFUSED
            problems = []
            if passed != (caller in allowed):
                problems.append("allowed" if passed else "refused")
            shows_a = A_NAME.encode() in data or A_MRN.encode() in data
            if caller in OUTSIDERS and shows_a:
                problems.append("leaks A")
            audits = session.scalar(sa.select(sa.func.count()).select_from(AuditRecord))
            if caller in DESK and passed and shows_a and audits == audits_before:
                problems.append("no audit")
            row[caller] = f"{status}{'!' + ','.join(problems) if problems else ''}"
            if problems:
                wrong.append(f"{operation} as {caller}: {status} {'; '.join(problems)}")
    assert not wrong, "\n".join(wrong) + "\n\n" + _table(observed)


def _table(observed: dict[str, dict[str, str]]) -> str:
    width = max(len(op) for op in observed)
    lines = [" " * width + " | " + " | ".join(f"{c[:11]:>11}" for c in CALLERS)]
    for operation, row in observed.items():
        allowed = EXPECTED[operation]
        cells = [f"{('+' if c in allowed else '-') + row[c]:>11}" for c in CALLERS]
        lines.append(f"{operation:<{width}} | " + " | ".join(cells))
    return "expected + allowed / - refused; ! marks a wrong cell\n" + "\n".join(lines)
