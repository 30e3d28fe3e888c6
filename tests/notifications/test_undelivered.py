"""Reception and nurses see which of today's patients a message never reached, to tell them
in person: the real firebase-admin SDK gives up against the fake FCM server."""

from __future__ import annotations

import random

from sqlalchemy.orm import sessionmaker

from notifications import DispatchConfig, Dispatcher, RetryPolicy
from tests.notifications.fake_fcm import reply_for


def test_messages_a_phone_never_got_are_listed_for_staff(
    app, client, reception, nurse, check_in, clock, fcm_transport, fake_fcm
):
    from api.extensions import db

    reached = check_in("ECG", visit="V1", mrn="M1", name="Li Ming")
    missed = check_in("ECG", visit="V2", mrn="M2", name="Wang Fang")
    for journey, token in ((reached, "good-phone"), (missed, "flaky-phone")):
        client.post(
            f"/api/v1/journeys/{journey['id']}/devices",
            json={"token": token, "platform": "android"},
            headers={"Authorization": f"Bearer {journey['access_token']}"},
        )
    fake_fcm.script("flaky-phone", *[reply_for(503)] * 100)  # its route is down all morning
    config = DispatchConfig(retry=RetryPolicy(max_attempts=2, base_seconds=1.0))
    worker = Dispatcher(sessionmaker(db.engine), [fcm_transport], config, clock=clock, rng=random.Random(1))
    for _ in range(5):
        worker.run_pass()
        clock.advance(seconds=30)

    listed = client.get("/api/v1/undelivered", headers=reception)
    assert listed.status_code == 200
    assert {m["visit_number"] for m in listed.json} == {"V2"}
    assert {m["event"] for m in listed.json} == {"journey_started", "next_step"}
    first = listed.json[0]
    assert first["patient_name"] == "Wang Fang" and first["status"] == "failed" and first["attempts"] == 2
    assert client.get("/api/v1/undelivered", headers=nurse).status_code == 200
    assert client.get("/api/v1/undelivered").status_code == 401
