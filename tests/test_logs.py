"""Structured logs: one JSON object per line, a request id that follows the request into the
delivery of its messages, and nothing in a whole day's logs that names or opens a patient."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from sqlalchemy.orm import sessionmaker

from api.extensions import db
from api.json_logs import configure_logging
from notifications import Dispatcher
from notifications.transports.log import LogTransport
from tests.conftest import check_in_body
from tests.day import Day

PHONE = "13812345678"


@pytest.fixture
def log_lines():
    """Everything CarePath logs during the test, as the JSON lines production writes."""
    stream = io.StringIO()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "api", "navigation", "notifications")}
    handler = configure_logging(logging.DEBUG, stream)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def deliver(clock) -> None:
    Dispatcher(sessionmaker(db.engine), [LogTransport()], clock=clock).run_until_idle()


def test_every_request_is_one_json_line_with_its_id_which_the_answer_carries(client, log_lines):
    answer = client.get("/api/v1/catalog/exams", headers={"X-Request-Id": "desk1-0000abcd"})
    chosen = client.get("/healthz")

    assert answer.headers["X-Request-Id"] == "desk1-0000abcd"
    assert re.fullmatch(r"[0-9a-f]{32}", chosen.headers["X-Request-Id"])  # none sent: a new one
    requests = [line for line in log_lines() if line["logger"] == "api.request_log"]
    assert requests[0]["request_id"] == "desk1-0000abcd"
    assert requests[0]["endpoint"] == "/api/v1/catalog/exams" and requests[0]["status"] == 200
    assert requests[1]["request_id"] == chosen.headers["X-Request-Id"]
    assert all(isinstance(line["duration_ms"], float) for line in requests)
    bad = client.get("/healthz", headers={"X-Request-Id": "a b {forged}"})
    assert bad.headers["X-Request-Id"] != "a b {forged}"  # not sane: replaced


def test_the_check_in_request_id_follows_into_the_delivery_of_its_message(
    client, clock, reception, log_lines
):
    body = check_in_body("ECG", visit="V-TRACE-1", mrn="MRN-TRACE-1")
    answer = client.post(
        "/api/v1/journeys", json=body, headers={**reception, "X-Request-Id": "checkin-trace-0001"}
    )
    assert answer.status_code == 201
    patient = {"Authorization": f"Bearer {answer.json['access_token']}"}
    devices = f"/api/v1/journeys/{answer.json['id']}/devices"
    assert (
        client.post(
            devices, json={"token": "phone-trace", "platform": "android"}, headers=patient
        ).status_code
        < 300
    )

    deliver(clock)  # later, in the dispatcher (a thread or `carepath worker`): no request of its own

    delivered = [line for line in log_lines() if line["logger"] == "notifications.dispatcher"]
    assert delivered, "no delivery logged"
    started = next(line for line in delivered if line["message"].startswith("message journey_started"))
    assert started["request_id"] == "checkin-trace-0001"
    assert started["journey_id"] == answer.json["id"]


def test_a_whole_day_logs_no_name_mrn_phone_or_token(client, clock, reception, nurse, log_lines):
    day = Day(client, clock, reception, nurse)
    day.check_in(6)
    devices, phones = [], []
    for n, patient in enumerate(day.patients):
        device, phone = f"fcm-device-token-{n}-{'x' * 40}", f"1391234{n:04d}"
        devices.append(device)
        phones.append(phone)
        url = f"/api/v1/journeys/{patient.journey['id']}"
        client.post(f"{url}/devices", json={"token": device, "platform": "android"}, headers=patient.headers)
        assert client.put(f"{url}/phone", json={"phone": phone}, headers=patient.headers).status_code < 300
    # what goes wrong on a day logs too: a refused check-in naming a patient, a bad link
    refused = check_in_body("NOPE", visit="V-BAD", mrn="MRN-DAY-BAD", name="欧阳娜娜", phone=PHONE)
    assert client.post("/api/v1/journeys", json=refused, headers=reception).status_code == 422
    assert client.get(
        f"/api/v1/journeys/{day.patients[0].journey['id']}",
        headers={"Authorization": "Bearer pt_1_" + "A" * 43},
    ).status_code in (404, 410)
    for _ in range(16):
        day.round(minutes=6)
        deliver(clock)
    for patient in day.patients:
        client.get(f"/p/{patient.token}")

    lines = log_lines()
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert len(lines) > 150, "the day was not logged"
    assert any(line["logger"] == "notifications.dispatcher" for line in lines)
    secrets = [p.name for p in day.patients] + [p.mrn for p in day.patients] + ["欧阳娜娜", "MRN-DAY-BAD"]
    # a token's secret follows "pt_<journey>_" and may itself hold "_"
    secrets += [p.token for p in day.patients] + [p.token.split("_", 2)[2][:20] for p in day.patients]
    secrets += [*devices, *phones, PHONE]
    found = sorted({secret for secret in secrets if secret in text})
    assert not found, f"patients' data in the logs: {found}"
    assert all(line["request_id"] for line in lines if line["logger"] == "api.request_log")


def test_access_log_lines_hide_the_secret_of_journey_and_booking_links():
    from api.log_privacy import hide

    secret = "Ab_-" + "x" * 39
    for line in (f"GET /p/pt_12_{secret} HTTP/1.1", f"GET /b/bk_3_{secret} HTTP/1.1"):
        assert secret not in hide(line) and "[hidden]" in hide(line)
    assert hide("GET /api/v1/booking-links/bk_3_" + secret + "/offers").endswith("bk_3_[hidden]/offers")
