"""Schemathesis over the whole OpenAPI document: every operation, a bounded number of generated
requests each, with real path values from the demo hospital, signed in as its admin or as the
patient of a real journey. No request may make a server error or a response that breaks the
document, and no request the document calls valid may be refused for its shape (schemathesis's
positive data acceptance). Run by `.ci/run` (CAREPATH_FUZZ=1); a few examples per operation keep
it short."""

from __future__ import annotations

import contextlib
import os
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance, response_schema_conformance

from tests.conftest import T0, check_in_body

pytestmark = pytest.mark.skipif(
    os.environ.get("CAREPATH_FUZZ") != "1", reason="the OpenAPI fuzz run is its own CI step (CAREPATH_FUZZ=1)"
)
EXAMPLES = int(os.environ.get("CAREPATH_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, response_schema_conformance, positive_data_acceptance]
# Refusals by the request's shape: the schemas' parser (api/errors.py) and the request guard
# (api/request_guard.py). Anything else is a hospital rule about data the document cannot
# list (an exam code not in the catalog, a map that does not load, a room closed): refusing
# such a request is the API working, not the document lying.
SHAPE_REFUSAL = re.compile(
    r"The request is invalid|.*: (contains a NUL|contains an unpaired|nested too deeply).*"
)

# What OpenAPI 3.0 cannot say: a URL is a string of format "url", which the generator fills
# with any text; and the keys of a map (3.0 has no `propertyNames`), below.
BAD_URL = "Not a valid URL."


def _judge_acceptance(response) -> bool:
    """Whether positive data acceptance judges this answer: any but a refusal by a hospital rule
    or of what the document cannot say."""
    if response.status_code not in (400, 422):
        return True  # not a refusal of the data: the other checks judge it
    try:
        body = response.json()
    except ValueError:
        return True  # not our error shape: a refusal by the server itself
    message = body.get("message", "")
    if set(_leaves(body.get("errors"))) == {BAD_URL}:
        return False
    if "\\x00" in str(message).split(": contains")[0]:
        return False  # a NUL in a key of a map (FHIR resources, catalog sources): unsayable
    return bool(SHAPE_REFUSAL.fullmatch(str(message)))


def _leaves(errors) -> list:
    """The messages of an error body's `errors`, however deeply nested."""
    if isinstance(errors, dict):
        return [leaf for value in errors.values() for leaf in _leaves(value)]
    if isinstance(errors, list):
        return [leaf for value in errors for leaf in _leaves(value)]
    return [errors]


@pytest.fixture
def demo_values(app, client, reception, admin, nurse):
    """Path values that exist: a checked-in, paid patient waiting in a room's line."""
    journey = client.post("/api/v1/journeys", json=check_in_body("ECG", "GLU"), headers=reception).json
    patient = {"Authorization": f"Bearer {journey['access_token']}"}
    pay = next(t for t in journey["tasks"] if t["key"] == "payment")
    client.post(f"/api/v1/journeys/{journey['id']}/tasks/{pay['id']}/complete", headers=patient)
    ecg = next(t for t in journey["tasks"] if t["key"] == "exam:ECG")
    arrived = client.post(f"/api/v1/journeys/{journey['id']}/tasks/{ecg['id']}/arrive", headers=patient).json
    room = arrived.get("room", {}).get("code") if isinstance(arrived, dict) else None
    line = client.get(f"/api/v1/queues/rooms/{room}", headers=nurse).json if room else {}
    entries = line.get("entries") if isinstance(line, dict) else None
    tomorrow = (T0.astimezone(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)).isoformat()
    booking = client.post(
        "/api/v1/bookings",
        json={
            "visit_number": "VB-FUZZ",
            "patient": {"mrn": "MRN-BK-F", "name": "Sun Qiming", "language": "en", "mobility": "walking"},
            "orders": [{"code": "ECG"}],
            "day": tomorrow,
        },
        headers=reception,
    ).json
    closure = client.post(
        "/api/v1/sites/demo/closures", json={"target": "A1-01", "reason": "cleaning"}, headers=admin
    ).json
    return {
        "values": {
            "site": "demo",
            "journey_id": journey["id"],
            "task_id": ecg["id"],
            "room_code": room or "A1-01",
            "room_type": "ecg",
            "entry_id": entries[0]["id"] if entries else 1,
            "closure_id": closure.get("id", 1) if isinstance(closure, dict) else 1,
            "token": journey["access_token"],
            "booking_id": booking["id"],
            "booking_token": booking["link"].rsplit("/", 1)[1],
        },
        "staff": admin,
        "patient": patient,
    }


def test_no_request_makes_a_server_error_or_breaks_the_document(app, demo_values):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures: list[str] = []
    calls: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40  # the whole document, not a part of it
    for operation in operations:
        as_patient = (
            re.search(r"/journeys/\{journey_id\}|/arrivals", operation.path) and "/qr" not in operation.path
        )
        known = demo_values["values"]
        names = [p.name for p in operation.path_parameters]
        strategy = operation.as_strategy(
            path_parameters={name: known[name] for name in names if name in known} or None,
            headers=demo_values["patient"] if as_patient else demo_values["staff"],
        )

        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(case=strategy)
        def exercise(case):
            response = case.call()
            calls.append(response.status_code)
            checks = CHECKS if _judge_acceptance(response) else CHECKS[:2]
            try:
                case.validate_response(response, checks=checks)
            except (Exception, FailureGroup) as failure:  # collected: one report for the whole document
                failures.append(f"{case.operation.label}: {str(failure)[:600]}")
                raise

        with contextlib.suppress(Exception, FailureGroup):  # reported below, with every other operation's
            exercise()
    assert not failures, "\n\n".join(failures)
    assert len(calls) >= len(operations) and 500 not in calls
