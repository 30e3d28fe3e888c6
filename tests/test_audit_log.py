"""The audit trail as a hospital's admin reads it: own site, filtered, read-only."""

from __future__ import annotations

from datetime import timedelta


def test_an_admin_finds_who_read_a_patient(client, check_in, nurse, admin, north, clock):
    journey = check_in("ECG", mrn="MRN-77", name="Sun Li")
    other = check_in("ECG", visit="V0002", mrn="MRN-78", name="Zhou Mei")
    clock.advance(minutes=5)
    since = clock.now
    client.get(f"/api/v1/journeys/{journey['id']}", headers=nurse)
    client.get(f"/api/v1/journeys/{other['id']}", headers=nurse)

    rows = client.get(
        "/api/v1/audit", query_string={"patient": "MRN-77", "action": "journey.read"}, headers=admin
    )
    assert rows.status_code == 200
    assert [(r["actor"], r["target_id"]) for r in rows.json] == [("nurse", str(journey["id"]))]
    recent = client.get(
        "/api/v1/audit", query_string={"since": since.isoformat(), "actor": "nurse"}, headers=admin
    )
    assert {r["target_id"] for r in recent.json} == {str(journey["id"]), str(other["id"])}
    before = client.get(
        "/api/v1/audit",
        query_string={"until": (since - timedelta(seconds=1)).isoformat(), "actor": "nurse"},
        headers=admin,
    )
    assert before.json == []
    # another site's admin sees none of it; reception may not read the trail; nobody may change it
    assert client.get("/api/v1/audit", query_string={"patient": "MRN-77"}, headers=north["admin"]).json == []
    assert client.get("/api/v1/audit", headers=nurse).status_code == 403
    assert client.delete("/api/v1/audit", headers=admin).status_code == 405
    bad = client.get("/api/v1/audit", query_string={"since": "yesterday"}, headers=admin)
    assert bad.status_code == 422 and "since" in bad.json["errors"]["query"]
