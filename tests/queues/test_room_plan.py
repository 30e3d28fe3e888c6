"""Nurses read their room's plan: who the sequencer expects, when, and who is already in line."""

from __future__ import annotations

from datetime import datetime


def test_the_room_plan_shows_who_is_expected_soonest_first_with_tickets_once_in_line(
    client, nurse, waiting_patient
):
    here = waiting_patient("PFT", name="Chen Jing")
    expected = [waiting_patient("PFT", arrive=False, name=f"Later {i}") for i in range(2)]
    plan = client.get(f"/api/v1/queues/rooms/{here['room']}/plan", headers=nurse)
    assert plan.status_code == 200
    steps = plan.json
    assert {s["task_id"] for s in steps} >= {p["task"]["id"] for p in [here, *expected]}
    starts = [datetime.fromisoformat(s["planned_start"]) for s in steps]
    assert starts == sorted(starts)
    by_task = {s["task_id"]: s for s in steps}
    assert by_task[here["task"]["id"]]["ticket"] == "001"  # already in line
    assert by_task[here["task"]["id"]]["patient_name"] == "Chen Jing"
    assert all(by_task[p["task"]["id"]]["ticket"] is None for p in expected)  # not here yet


def test_only_nurses_of_the_site_read_a_room_plan(client, reception):
    assert client.get("/api/v1/queues/rooms/B5-01/plan", headers=reception).status_code == 403
    assert client.get("/api/v1/queues/rooms/B5-01/plan").status_code == 401
