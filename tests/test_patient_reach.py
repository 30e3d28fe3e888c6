"""The patient page in Chromium tells CarePath what the patient has seen: with the page open, a
call is seen (no escalation to another channel) and the nurse board stops saying "not yet seen"."""

from __future__ import annotations

import pytest

from tests.test_callscreen import waiting_patient

pytestmark = pytest.mark.browser


def test_a_call_shown_on_the_open_page_counts_as_seen(live_server, page, client, check_in, nurse):
    journey, room = waiting_patient(client, check_in, visit="V-5", mrn="MRN-5")
    called = client.post(f"/api/v1/queues/rooms/{room}/call-next", json={"desk": 1}, headers=nurse)
    assert called.status_code == 200
    board = client.get(f"/api/v1/queues/rooms/{room}", headers=nurse).json
    assert [e["not_seen"] for e in board["entries"] if e["journey_id"] == journey["id"]] == [True]

    page.goto(f"{live_server}/p/{journey['access_token']}")
    page.wait_for_function("document.querySelector('#next-ticket').textContent.includes('1')", timeout=10000)

    def unseen() -> list[bool]:
        entries = client.get(f"/api/v1/queues/rooms/{room}", headers=nurse).json["entries"]
        return [e["not_seen"] for e in entries if e["journey_id"] == journey["id"]]

    for _ in range(50):
        if unseen() == [False]:
            break
        page.wait_for_timeout(200)
    assert unseen() == [False]
    states = client.get(f"/api/v1/journeys/{journey['id']}/notifications", headers=nurse).json
    assert [bool(s["seen_at"]) for s in states if s["event"] == "turn_now"] == [True]
