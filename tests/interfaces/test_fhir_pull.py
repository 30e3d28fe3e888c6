"""Check-in by visit number: the orders come from the hospital's FHIR server (pull mode)."""

from __future__ import annotations

import pytest

from tests.interfaces.fake_fhir import TOKEN, VISIT, FakeFhirServer, configure, the_hospitals_records


@pytest.fixture
def his(monkeypatch):
    monkeypatch.setenv("TEST_HIS_TOKEN", TOKEN)
    with FakeFhirServer(the_hospitals_records(), token=TOKEN) as server:
        yield server


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
