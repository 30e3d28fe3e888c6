"""A nurse's change re-plans only the patients it touches; everyone else keeps their times."""

from __future__ import annotations

import sqlalchemy as sa

from notifications import OutboxMessage


def planned(client, journey: dict) -> dict[str, tuple[str | None, str | None]]:
    body = client.get(
        f"/api/v1/journeys/{journey['id']}", headers={"Authorization": f"Bearer {journey['access_token']}"}
    ).json
    return {t["key"]: (t["planned_start"], t["room"] and t["room"]["code"]) for t in body["tasks"]}


def test_pausing_a_room_moves_its_patients_and_nobody_else(client, nurse, session, check_in):
    ecg = [check_in("ECG", visit=f"E{i}", mrn=f"E{i}") for i in range(3)]
    others = [check_in("XR-CHEST", "ECHO", visit=f"X{i}", mrn=f"X{i}") for i in range(3)]
    before = {j["id"]: planned(client, j) for j in ecg + others}
    in_a208 = [j for j in ecg if before[j["id"]]["exam:ECG"][1] == "A2-08"]
    assert in_a208, "the plan put someone in ECG room 1"

    paused = client.post(
        "/api/v1/queues/rooms/A2-08/pause", json={"reason": "machine fault", "minutes": 60}, headers=nurse
    )
    assert paused.status_code == 200, paused.json

    for journey in others:
        assert planned(client, journey) == before[journey["id"]]  # untouched: same rooms, same times
    for journey in in_a208:
        start, room = planned(client, journey)["exam:ECG"]
        assert room != "A2-08" or start >= "2026-11-25T01:30"  # another room, or after the pause
        told = session.scalars(
            sa.select(OutboxMessage.event).where(OutboxMessage.journey_id == journey["id"])
        ).all()
        assert "plan_changed" in told
