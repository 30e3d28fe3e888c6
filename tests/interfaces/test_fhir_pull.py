"""Check-in by visit number: the orders come from the hospital's FHIR server (pull mode)."""

from __future__ import annotations

import copy

import pytest

from tests.interfaces.conftest import official
from tests.interfaces.fake_fhir import FakeFhirServer

VISIT = "V20261125-0042"
TOKEN = "his-secret-token"


def the_hospitals_records() -> list[dict]:
    """The official examples as one hospital holds them: the encounter with its visit number,
    its patient, and the orders placed in it (re-pointed from the examples' other patients)."""
    encounter = copy.deepcopy(official("encounter-example.json"))
    encounter["identifier"] = [{"system": "urn:his:visit", "value": VISIT}]
    patient = {
        "resourceType": "Patient",
        "id": "example",
        "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": "MRN-4242"}],
        "name": [{"family": "Chalmers", "given": ["Peter", "James"], "use": "official"}],
        "communication": [{"language": {"coding": [{"code": "en"}]}, "preferred": True}],
    }
    orders = []
    for name in ("lipid", "ft4", "di", "colonoscopy"):
        request = copy.deepcopy(official(f"servicerequest-example-{name}.json"))
        request["subject"], request["encounter"] = (
            {"reference": "Patient/example"},
            {"reference": "Encounter/example"},
        )
        orders.append(request)
    return [encounter, patient, *orders]


@pytest.fixture
def his(monkeypatch):
    monkeypatch.setenv("TEST_HIS_TOKEN", TOKEN)
    with FakeFhirServer(the_hospitals_records(), token=TOKEN) as server:
        yield server


def configure(client, admin, url: str, credential_env: str = "TEST_HIS_TOKEN") -> None:
    body = {"base_url": url, "auth": "bearer", "credential_env": credential_env, "timeout_seconds": 5}
    response = client.put("/api/v1/sites/demo/fhir-server", json=body, headers=admin)
    assert response.status_code == 200, response.json


def pull(client, headers, visit: str = VISIT, expect: int = 201) -> dict:
    response = client.post("/api/v1/journeys/from-hospital", json={"visit_number": visit}, headers=headers)
    assert response.status_code == expect, response.json
    return response.json


def test_a_scanned_visit_number_brings_in_the_orders(client, admin, reception, his):
    configure(client, admin, his.url)
    answer = pull(client, reception)
    journey = answer["journey"]
    assert journey["visit_number"] == VISIT and journey["patient"]["name"] == "Peter James Chalmers"
    keys = {t["key"]: t["exam_codes"] for t in journey["tasks"]}
    assert keys["draw:blood"] == ["TFT"] and "exam:CT-CHEST" in keys  # LOINC 3024-7 and 24627-2
    refused = [o for o in answer["orders"] if o["status"] == "refused"]
    assert len(refused) == 1 and "http://acme.org/tests|LIPID" in refused[0]["message"]  # not in the table
    assert any("status=active" in r for r in his.requests)  # only active orders were asked for

    again = pull(client, reception, expect=200)  # scanned twice: the same journey, nothing new
    assert again["journey"]["id"] == journey["id"]
    assert {o["status"] for o in again["orders"]} == {"unchanged", "refused"}


def test_the_server_down_or_refusing_gives_a_clear_message_and_hand_check_in_still_works(
    client, admin, reception, his, check_in
):
    configure(client, admin, his.url, credential_env="NO_SUCH_VARIABLE")
    refused = pull(client, reception, expect=503)
    assert "refused CarePath's credentials" in refused["message"] and "by hand" in refused["message"]

    configure(client, admin, his.url)
    his.stop()
    down = pull(client, reception, expect=503)
    assert down["message"] == (
        f"the hospital's FHIR server at {his.url} cannot be reached; check the patient in by hand"
    )
    assert check_in("ECG", visit=VISIT)["visit_number"] == VISIT


def test_a_visit_the_server_does_not_know_and_a_site_without_a_server(client, admin, reception, his):
    assert "no FHIR server is configured" in pull(client, reception, expect=422)["message"]
    configure(client, admin, his.url)
    assert "no encounter for visit V-NOPE" in pull(client, reception, visit="V-NOPE", expect=503)["message"]
    bad = client.put("/api/v1/sites/demo/fhir-server", json={"base_url": "not a url"}, headers=admin)
    assert bad.status_code == 422 and "base_url" in bad.json["errors"]["json"]
