"""Patient links end: after the journey's last visit day plus a grace, or when reception replaces
a lost phone's link; and they never reach an access log."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

import sqlalchemy as sa

from navigation.models import AuditRecord, Task


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_link_expires_after_the_last_visit_day_and_the_grace(client, check_in, clock, app):
    journey = check_in("ECG")
    url = f"/api/v1/journeys/{journey['id']}"
    clock.advance(days=2)
    assert client.get(url, headers=_as(journey["access_token"])).status_code == 200
    clock.advance(days=int(app.config["PATIENT_LINK_GRACE"].days))
    gone = client.get(url, headers=_as(journey["access_token"]))
    assert gone.status_code == 410 and "reception desk" in gone.json["message"]
    assert journey["patient"]["name"] not in gone.get_data(as_text=True)


def test_a_return_visit_on_a_later_day_keeps_the_link_working(client, check_in, clock, session):
    journey = check_in("ECG")
    task = session.get(Task, journey["tasks"][-1]["id"])
    task.planned_start = clock.now + timedelta(days=10)
    task.planned_end = task.planned_start + timedelta(minutes=15)
    session.commit()
    url = f"/api/v1/journeys/{journey['id']}"
    clock.advance(days=12)
    assert client.get(url, headers=_as(journey["access_token"])).status_code == 200
    clock.advance(days=5)
    assert client.get(url, headers=_as(journey["access_token"])).status_code == 410


def test_reception_replaces_a_lost_phones_link(client, check_in, reception, nurse, session):
    journey = check_in("ECG")
    old = journey["access_token"]
    url = f"/api/v1/journeys/{journey['id']}"
    assert client.post(f"{url}/link", headers=nurse).status_code == 403
    replaced = client.post(f"{url}/link", headers=reception)
    assert replaced.status_code == 200 and replaced.json["access_token"] != old
    assert replaced.json["access_url"].endswith(replaced.json["access_token"])
    gone = client.get(url, headers=_as(old))
    assert gone.status_code == 410 and "replaced" in gone.json["message"] and "desk" in gone.json["message"]
    assert client.post(f"{url}/live-ticket", headers=_as(old)).status_code == 410
    assert client.get(url, headers=_as(replaced.json["access_token"])).status_code == 200
    audit = session.scalars(sa.select(AuditRecord).where(AuditRecord.action == "journey.link.replace")).one()
    assert audit.actor == "reception" and audit.target_id == str(journey["id"])


def test_a_forged_token_is_still_a_plain_404(client, check_in):
    journey = check_in("ECG")
    forged = journey["access_token"][:-4] + "AAAA"
    assert client.get(f"/api/v1/journeys/{journey['id']}", headers=_as(forged)).status_code == 404


def test_tokens_and_stream_tickets_stay_out_of_the_access_log(client, check_in, live_server, caplog):
    import urllib.request

    journey = check_in("ECG")
    token = journey["access_token"]
    ticket = client.post(f"/api/v1/journeys/{journey['id']}/live-ticket", headers=_as(token)).json["ticket"]
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        urllib.request.urlopen(f"{live_server}/p/{token}").read()
        with contextlib.suppress(urllib.error.HTTPError):  # a refused ticket still logs its line
            urllib.request.urlopen(f"{live_server}/api/v1/live?ticket={ticket}x").read()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/p/pt_" in line for line in lines) and any("ticket=" in line for line in lines)
    assert not any(token in line or ticket in line for line in lines), lines


def test_gunicorn_access_lines_hide_tokens_too(app, check_in, caplog):
    journey = check_in("ECG")
    token = journey["access_token"]
    with caplog.at_level(logging.INFO, logger="gunicorn.access"):
        # gunicorn logs its access format with a dict of request atoms
        logging.getLogger("gunicorn.access").info(
            "%(r)s %(s)s", {"r": f"GET /p/{token} HTTP/1.1", "s": "200"}
        )
    assert caplog.records[-1].getMessage() == f"GET /p/pt_{journey['id']}_[hidden] HTTP/1.1 200"
