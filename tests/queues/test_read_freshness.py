"""A phone polling an unchanged journey gets 304; anything a nurse, the patient or a closure
changes shows on the very next read (the ETag changes with it)."""

from __future__ import annotations

import pytest

from api.extensions import db
from navigation.demo import hospital_document
from tests.queries import counting
from tests.queues.conftest import as_patient, step


def read(client, url: str, journey: dict, etag: str | None = None):
    headers = {**as_patient(journey), **({"If-None-Match": etag} if etag else {})}
    return client.get(url, headers=headers)


def call_next(client, nurse, room: str):
    response = client.post(f"/api/v1/queues/rooms/{room}/call-next", json={"desk": 1}, headers=nurse)
    assert response.status_code == 200, response.json
    return response


def test_an_unchanged_journey_answers_304_and_a_nurses_call_shows_on_the_next_read(
    client, nurse, waiting_patient
):
    me = waiting_patient("PFT")
    url = f"/api/v1/journeys/{me['journey']['id']}"
    first = read(client, url, me["journey"])
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    etag = first.headers["ETag"]
    unchanged = read(client, url, me["journey"], etag)
    assert unchanged.status_code == 304 and unchanged.data == b""
    assert unchanged.headers["ETag"] == etag and unchanged.headers["Cache-Control"] == "no-store"

    call_next(client, nurse, me["room"])
    after = read(client, url, me["journey"], etag)
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert next(t for t in after.json["tasks"] if t["id"] == me["task"]["id"])["business_status"] == "called"


def test_the_patients_own_step_changes_the_etag(client, check_in):
    journey = check_in("PFT", "FOLLOWUP")
    url = f"/api/v1/journeys/{journey['id']}"
    etag = read(client, url, journey).headers["ETag"]
    paid = client.post(f"{url}/tasks/{step(journey, 'payment')['id']}/complete", headers=as_patient(journey))
    assert paid.status_code == 200 and paid.headers["Cache-Control"] == "no-store"
    after = read(client, url, journey, etag)
    assert after.status_code == 200
    assert next(t for t in after.json["tasks"] if t["key"] == "payment")["status"] == "completed"


def test_an_answer_that_changes_only_the_journey_itself_shows_on_the_next_read(client, check_in):
    """The fasting answer of a patient with no fasting test re-plans nothing: only the journey's
    own row changes, and the 304 path never loads that row as an object."""
    journey = check_in("ECG")
    url = f"/api/v1/journeys/{journey['id']}"
    first = read(client, url, journey)
    assert first.json["fasting_confirmed"] is False
    answered = client.post(f"{url}/fasting", json={}, headers=as_patient(journey))
    assert answered.status_code == 200
    assert [t["planned_start"] for t in answered.json["tasks"]] == [
        t["planned_start"] for t in first.json["tasks"]
    ]
    after = read(client, url, journey, first.headers["ETag"])
    assert after.status_code == 200 and after.json["fasting_confirmed"] is True


def test_a_closure_on_the_way_changes_the_route_on_the_next_read(client, nurse, check_in):
    journey = check_in("PFT", "FOLLOWUP")
    url = f"/api/v1/journeys/{journey['id']}"
    client.post(f"{url}/tasks/{step(journey, 'payment')['id']}/complete", headers=as_patient(journey))
    before = read(client, url, journey)
    route = before.json["next_route"]
    assert route["available"] is True
    on_the_way = route["nodes"][len(route["nodes"]) // 2]
    closed = client.post(
        "/api/v1/sites/demo/closures", json={"target": on_the_way, "reason": "wet floor"}, headers=nurse
    )
    assert closed.status_code == 201, closed.json
    after = read(client, url, journey, before.headers["ETag"])
    assert after.status_code == 200
    assert on_the_way not in after.json["next_route"].get("nodes", [])


def test_the_place_in_line_changes_when_anyone_ahead_moves_and_as_the_minutes_pass(
    client, nurse, clock, waiting_patient
):
    ahead = waiting_patient("PFT")
    me = waiting_patient("PFT")
    url = f"/api/v1/queues/journeys/{me['journey']['id']}"
    first = read(client, url, me["journey"])
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    assert first.json[0]["people_ahead"] == 1
    etag = first.headers["ETag"]
    assert read(client, url, me["journey"], etag).status_code == 304

    call_next(client, nurse, ahead["room"])
    moved = read(client, url, me["journey"], etag)
    assert moved.status_code == 200 and moved.json[0]["people_ahead"] == 0
    etag = moved.headers["ETag"]
    assert read(client, url, me["journey"], etag).status_code == 304
    clock.advance(minutes=1)  # the wait counts down: the answer may say fewer minutes
    assert read(client, url, me["journey"], etag).status_code == 200


def test_an_unchanged_journey_is_answered_without_loading_its_steps(client, check_in):
    journey = check_in("GLU", "LIPID", "US-ABD", "ECG", "CT-ABD-C", "FOLLOWUP")
    url = f"/api/v1/journeys/{journey['id']}"
    etag = read(client, url, journey).headers["ETag"]
    db.session.remove()
    with counting(db.engine) as seen:
        assert read(client, url, journey, etag).status_code == 304
    assert len(seen) <= 2, str(seen)  # the patient's link, then one small stamp
    assert not any(sql.startswith("SELECT task.id") for sql in seen.sql), str(seen)


@pytest.mark.browser
def test_the_phone_page_asks_with_its_etag_and_shows_a_call_at_once(
    live_server, page, client, nurse, waiting_patient
):
    me = waiting_patient("PFT", language="en")
    mine = f"/api/v1/journeys/{me['journey']['id']}"
    answers: list[tuple[int, str | None]] = []
    page.on(
        "response",
        lambda r: r.url.endswith(mine) and answers.append((r.status, r.request.headers.get("if-none-match"))),
    )
    page.goto(f"{live_server}/p/{me['journey']['access_token']}")
    page.wait_for_function("document.querySelector('#next-note').textContent.includes('wait to be called')")
    page.evaluate("load()")  # the fallback poll: nothing changed
    page.wait_for_function(
        f"performance.getEntriesByType('resource').filter(e => e.name.endsWith('{mine}')).length >= 2"
    )
    assert answers[0][0] == 200 and answers[0][1] is None
    assert answers[-1][0] == 304 and answers[-1][1] is not None
    assert "wait to be called" in page.inner_text("#next-note")  # the kept answer, shown again

    call_next(client, nurse, me["room"])
    page.wait_for_function(
        "document.querySelector('#next-ticket').textContent.includes('desk 1')", timeout=10000
    )
    assert answers[-1][0] == 200


def test_a_phone_without_its_etag_gets_the_kept_answer_until_the_journey_changes(
    client, nurse, waiting_patient
):
    me = waiting_patient("PFT")
    url = f"/api/v1/journeys/{me['journey']['id']}"
    first = read(client, url, me["journey"])
    db.session.remove()
    with counting(db.engine) as seen:
        again = read(client, url, me["journey"])  # a reload: no ETag
    assert (
        again.status_code == 200
        and again.data == first.data
        and again.headers["ETag"] == first.headers["ETag"]
    )
    assert len(seen) <= 2, str(seen)  # the link and the stamp: the kept answer, not a rebuild

    call_next(client, nurse, me["room"])
    after = read(client, url, me["journey"])
    assert after.headers["ETag"] != first.headers["ETag"]
    assert next(t for t in after.json["tasks"] if t["id"] == me["task"]["id"])["business_status"] == "called"


def test_a_renamed_room_shows_on_the_patients_next_conditional_read(client, admin, check_in):
    journey = check_in("PFT", "FOLLOWUP")
    url = f"/api/v1/journeys/{journey['id']}"
    before = read(client, url, journey)
    room = step(before.json, "exam:PFT")["room"]
    document = hospital_document()
    renamed = next(r for r in document["rooms"] if r["code"] == room["code"])
    renamed["name_en"], renamed["name_zh"] = "Lung Function (East wing)", "肺功能室（东翼）"
    assert client.put("/api/v1/hospital", json=document, headers=admin).status_code == 200

    after = read(client, url, journey, before.headers["ETag"])
    assert after.status_code == 200, "the phone kept the old room name"
    assert step(after.json, "exam:PFT")["room"]["name_zh"] == "肺功能室（东翼）"


def test_the_same_hospital_document_sent_again_keeps_every_phones_answer(client, admin, check_in):
    """Hospital IT re-sends the site document it always sends: nothing a patient sees changed,
    so a phone's next conditional read is still a 304 (not a full read for every phone)."""
    journey = check_in("PFT", "FOLLOWUP")
    url = f"/api/v1/journeys/{journey['id']}"
    before = read(client, url, journey)
    assert client.put("/api/v1/hospital", json=hospital_document(), headers=admin).status_code == 200
    assert read(client, url, journey, before.headers["ETag"]).status_code == 304


def test_a_stamp_read_with_a_refused_link_is_not_used_by_a_later_read(client, nurse, waiting_patient):
    """A patient's link is checked in the same query that stamps the view asked for; when the
    request then fails (the link opened onto another patient's journey), that stamp must not
    answer a later read: here a nurse's, after she called the patient."""
    me, other = waiting_patient("PFT"), waiting_patient("PFT")
    url = f"/api/v1/journeys/{me['journey']['id']}"
    staff_etag = client.get(url, headers=nurse).headers["ETag"]
    wrong = client.get(f"/api/v1/journeys/{other['journey']['id']}", headers=as_patient(me["journey"]))
    assert wrong.status_code == 404
    call_next(client, nurse, me["room"])
    after = client.get(url, headers={**nurse, "If-None-Match": staff_etag})
    assert after.status_code == 200 and after.headers["ETag"] != staff_etag
