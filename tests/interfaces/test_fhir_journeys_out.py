"""A journey read back as FHIR R4 by the hospital's systems: valid resources that round-trip."""

from __future__ import annotations

import json

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from tests.interfaces.conftest import FHIR_JSON, official


def fhir(client, url: str, headers: dict | None = None, expect: int = 200) -> dict:
    response = client.get(url, headers=headers or {})
    assert response.status_code == expect, response.get_data(as_text=True)
    return json.loads(response.get_data(as_text=True))


def round_trips(resource: dict) -> bool:
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return model.model_dump(mode="json", exclude_none=True) == resource


def test_metadata_is_a_capability_statement_for_fhir_4_0_1(client):
    response = client.get("/fhir/r4/metadata")
    assert response.status_code == 200 and response.mimetype == FHIR_JSON
    statement = response.json
    CapabilityStatement.model_validate(statement)
    assert statement["fhirVersion"] == "4.0.1"
    rest = statement["rest"][0]
    assert {"code": "transaction"} in rest["interaction"]
    task = next(r for r in rest["resource"] if r["type"] == "Task")
    assert {p["name"] for p in task["searchParam"]} >= {"group-identifier", "status"}


def test_a_journey_reads_as_a_valid_collection_bundle(client, check_in, nurse, reception, session):
    journey = check_in("GLU", "US-ABD", "CT-ABD-C", "FOLLOWUP", fasting_confirmed=True)
    paused_room = next(t for t in journey["tasks"] if t["key"] == "exam:CT-ABD-C")["room"][
        "code"
    ]  # the only one
    paused = client.post(
        f"/api/v1/queues/rooms/{paused_room}/pause", json={"reason": "cleaning", "minutes": 20}, headers=nurse
    )
    assert paused.status_code == 200, paused.json
    journey = client.get(f"/api/v1/journeys/{journey['id']}", headers=reception).json

    document = fhir(client, f"/api/v1/journeys/{journey['id']}/fhir", reception)
    Bundle.model_validate(document)
    assert document["type"] == "collection"
    resources = [e["resource"] for e in document["entry"]]
    assert all(round_trips(r) for r in resources)
    by_id = {f"{r['resourceType']}/{r['id']}": r for r in resources}

    parent = by_id[f"Task/journey-{journey['id']}"]
    assert parent["status"] == "in-progress" and parent["groupIdentifier"]["value"] == str(journey["id"])
    steps = [r for r in resources if r["resourceType"] == "Task" and r is not parent]
    assert [s["id"] for s in steps] == [f"task-{t['id']}" for t in journey["tasks"]]
    for step, task in zip(steps, journey["tasks"], strict=True):
        assert step["partOf"] == [{"reference": f"Task/journey-{journey['id']}"}]
        assert step["groupIdentifier"] == parent["groupIdentifier"]
        assert step["status"] == task["status"]
        assert step["for"]["reference"] in by_id  # the patient is in the bundle

    # rooms as the official example models them: room partOf floor partOf building, paused = suspended
    example_room = official("location-example-room.json")
    room = next(r for r in resources if r.get("identifier", [{}])[0].get("value") == paused_room)
    assert room["status"] == example_room["status"] == "suspended"
    assert (
        room["physicalType"]["coding"][0]["code"] == example_room["physicalType"]["coding"][0]["code"] == "ro"
    )
    floor = by_id[room["partOf"]["reference"]]
    building = by_id[floor["partOf"]["reference"]]
    assert (floor["physicalType"]["coding"][0]["code"], building["physicalType"]["coding"][0]["code"]) == (
        "lvl",
        "bu",
    )

    planned = [t for t in journey["tasks"] if t["planned_start"] and not t["self_service"]]
    appointments = [r for r in resources if r["resourceType"] == "Appointment"]
    assert len(appointments) == len(planned) > 0
    assert {a["status"] for a in appointments} == {official("appointment-example.json")["status"]}  # booked
    for appointment in appointments:
        assert any(p["actor"]["reference"].startswith("Location/") for p in appointment["participant"])


def test_only_staff_of_the_journeys_site_read_it_and_the_read_is_audited(
    client, check_in, reception, session
):
    from navigation.models import AuditRecord

    journey = check_in("ECG")
    token = {"Authorization": f"Bearer {journey['access_token']}"}
    assert client.get(f"/api/v1/journeys/{journey['id']}/fhir", headers=token).status_code == 403
    assert client.get("/api/v1/journeys/999999/fhir", headers=reception).status_code == 404
    fhir(client, f"/api/v1/journeys/{journey['id']}/fhir", reception)
    assert (
        session.query(AuditRecord).filter_by(action="journey.fhir.read", target_id=str(journey["id"])).count()
        == 1
    )


def test_task_search_by_journey_and_status(client, check_in, reception):
    first = check_in("GLU", "ECG")
    check_in("XR-CHEST", visit="V0002", mrn="MRN002")
    found = fhir(client, f"/fhir/r4/Task?group-identifier=urn:carepath:journey|{first['id']}", reception)
    Bundle.model_validate(found)
    assert found["type"] == "searchset" and found["total"] == len(first["tasks"])
    ready = fhir(client, f"/fhir/r4/Task?group-identifier={first['id']}&status=ready", reception)
    assert [e["resource"]["id"] for e in ready["entry"]] == [
        f"task-{t['id']}" for t in first["tasks"] if t["status"] == "ready"
    ]
    xray = fhir(client, "/fhir/r4/Task?code=XR-CHEST", reception)
    assert xray["total"] == 1 and xray["entry"][0]["resource"]["code"]["coding"][0]["code"] == "XR-CHEST"
    wrong = fhir(client, "/fhir/r4/Task?patient=Patient/1", reception, expect=400)
    assert wrong["resourceType"] == "OperationOutcome" and wrong["issue"][0]["expression"] == ["patient"]
