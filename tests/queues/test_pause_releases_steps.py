"""A pause that sets a step aside for today releases the steps that only followed it."""

from __future__ import annotations


def test_a_lab_paused_for_the_rest_of_the_day_lets_its_fasting_patient_eat(client, nurse, check_in):
    journey = check_in("GLU", "ECG", fasting_confirmed=True, visit="V-LAB", mrn="M-LAB")
    paused = client.post(
        "/api/v1/queues/rooms/A2-01/pause", json={"reason": "analyser broken", "minutes": 600}, headers=nurse
    )
    assert paused.status_code == 200
    token = {"Authorization": f"Bearer {journey['access_token']}"}
    steps = {
        t["key"]: t for t in client.get(f"/api/v1/journeys/{journey['id']}", headers=token).json["tasks"]
    }
    assert steps["draw:blood"]["plan_category"]  # no fasting draw today
    assert steps["meal"]["status"] == "ready"  # so the patient need not go on fasting
