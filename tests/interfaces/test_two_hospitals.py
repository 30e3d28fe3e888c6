"""Two hospitals in one deployment: each with its own map, rooms, catalog variant and staff."""

from __future__ import annotations

from tests.conftest import _login, check_in_body
from tests.interfaces.test_hl7_mllp import msa, orm, send


def test_the_smaller_hospital_checks_in_with_its_own_rooms_and_catalog_variant(client, check_in):
    riverside = _login(client, "reception-riverside")
    demo_ct = check_in("CT-CHEST")
    response = client.post(
        "/api/v1/journeys", json=check_in_body("CT-CHEST", visit="R-0001"), headers=riverside
    )
    assert response.status_code == 201, response.json
    journey = response.json
    ct = next(t for t in journey["tasks"] if t["key"] == "exam:CT-CHEST")
    assert ct["room"]["code"] == "R2-04" and ct["duration_min"] == 20  # the variant: 20 minutes here
    assert next(t for t in demo_ct["tasks"] if t["key"] == "exam:CT-CHEST")["duration_min"] == 10
    assert "+riverside-" in journey["catalog_version"]

    contrast = client.post(
        "/api/v1/journeys", json=check_in_body("CT-ABD-C", visit="R-0002"), headers=riverside
    )
    assert contrast.status_code == 422 and "no open room at this hospital" in contrast.json["message"]


def test_staff_cannot_see_the_other_hospitals_patients(client, check_in, reception):
    riverside = _login(client, "reception-riverside")
    theirs = client.post(
        "/api/v1/journeys", json=check_in_body("ECG", visit="R-0001"), headers=riverside
    ).json
    ours = check_in("ECG")
    for journey, outsider in ((ours, riverside), (theirs, reception)):
        assert client.get(f"/api/v1/journeys/{journey['id']}", headers=outsider).status_code == 404
        assert client.get(f"/api/v1/journeys/{journey['id']}/fhir", headers=outsider).status_code == 404
    found = client.get("/fhir/r4/Task", headers=riverside).json
    assert {e["resource"]["groupIdentifier"]["value"] for e in found["entry"]} == {str(theirs["id"])}


def test_an_hl7_message_goes_to_the_hospital_msh_6_names(listener, session):
    from navigation.models import Journey

    [reply] = send(listener.port, orm("RIV-1", ("NW", "ORD-1", "11524-6^EKG study^LN"), facility="RIVERSIDE"))
    assert msa(reply) == ("AA", "RIV-1")
    journey = session.query(Journey).filter_by(visit_number="V20261125-0101").one()
    assert journey.site.code == "riverside"
    assert next(t for t in journey.tasks if t.key == "exam:ECG").duration_min == 15


def test_each_hospitals_admin_keeps_its_catalog_variant(client, admin):
    riverside_admin = _login(client, "admin-riverside")
    wrong = client.put(
        "/api/v1/sites/riverside/catalog",
        json={"exam_types": {"ECG": {"duration_min": -5}}},
        headers=riverside_admin,
    )
    assert wrong.status_code == 422 and any("duration_min" in k for k in wrong.json["errors"]["json"])
    unknown = client.put(
        "/api/v1/sites/riverside/catalog", json={"exam_types": {"NOPE": {}}}, headers=riverside_admin
    )
    assert unknown.status_code == 422 and "exam_types.NOPE" in unknown.json["errors"]["json"]
    assert client.put("/api/v1/sites/riverside/catalog", json={}, headers=admin).status_code == 404
    ok = client.put(
        "/api/v1/sites/riverside/catalog",
        json={"exam_types": {"ECG": {"duration_min": 12}}},
        headers=riverside_admin,
    )
    assert ok.status_code == 200 and "+riverside-" in ok.json["version"]
    current = client.get("/api/v1/sites/riverside/catalog", headers=riverside_admin).json
    assert current == {"overrides": {"exam_types": {"ECG": {"duration_min": 12}}}}
