"""`/metrics` for the hospital's Prometheus: by URL rule (no tokens), the backlog, and two workers summed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from notifications import Event, enqueue
from tests.conftest import free_port
from tests.timing import pause, without_faketime

ROOT = Path(__file__).resolve().parents[1]


def scrape(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample as {(name, labels): value}."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def metrics_now(client, headers: dict | None = None) -> dict:
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    return scrape(response.get_data(as_text=True))


def test_requests_are_counted_by_url_rule_and_no_patient_token_reaches_the_metrics(client, check_in):
    journey = check_in("ECG")
    token = journey["access_token"]
    before = metrics_now(client)
    assert client.get(f"/p/{token}").status_code == 200
    assert client.get(f"/p/{token}").status_code == 200
    response = client.get("/metrics")
    text = response.get_data(as_text=True)
    after = scrape(text)

    assert response.headers["Content-Type"].startswith("text/plain")
    rule = {"method": "GET", "endpoint": "/p/<token>"}
    counted = value(after, "carepath_http_requests_total", **rule, status="200")
    assert counted - value(before, "carepath_http_requests_total", **rule, status="200") == 2
    assert value(after, "carepath_http_request_duration_seconds_count", **rule) >= 2
    assert token not in text and token.split("_", 2)[2] not in text
    assert f'endpoint="/p/{token}"' not in text


def test_queue_lengths_outbox_backlog_and_solver_calls(client, clock, check_in, session):
    before = metrics_now(client)
    journey = check_in("ECG")  # one check-in: one solver run
    patient = {"Authorization": f"Bearer {journey['access_token']}"}
    steps = {t["key"]: t for t in journey["tasks"]}
    client.post(f"/api/v1/journeys/{journey['id']}/tasks/{steps['payment']['id']}/complete", headers=patient)
    arrived = client.post(
        f"/api/v1/journeys/{journey['id']}/tasks/{steps['exam:ECG']['id']}/arrive", headers=patient
    )
    assert arrived.status_code == 200, arrived.json
    room = client.get(f"/api/v1/queues/journeys/{journey['id']}", headers=patient).json[0]["room"]
    # a message the phone's channel refused for now: retried in an hour (no phone: channel "none")
    waiting = enqueue(session, journey["id"], Event.PLAN_CHANGED, "zh", now=clock())
    waiting.next_attempt_at = clock() + timedelta(hours=1)
    session.commit()
    clock.advance(minutes=12)

    after = metrics_now(client)

    assert value(after, "carepath_queue_waiting", site="demo", room=room) == 1
    assert value(after, "carepath_queue_longest_wait_seconds", site="demo", room=room) == pytest.approx(720)
    assert value(after, "carepath_outbox_pending", channel="none") >= 1
    assert value(after, "carepath_outbox_oldest_pending_age_seconds", channel="none") >= 720
    solved = sum(
        v - before.get(k, 0.0)
        for k, v in after.items()
        if k[0] == "carepath_solver_calls_total" and ("kind", "checkin") in k[1]
    )
    assert solved == 1
    assert value(after, "carepath_solver_seconds_count", kind="checkin") >= 1


def test_a_second_identical_route_is_a_cache_hit(client):
    before = metrics_now(client)
    for _ in range(2):
        assert client.get("/api/v1/sites/demo/route?from=A1-01&to=B2-03").status_code == 200
    after = metrics_now(client)
    hits = value(after, "carepath_route_cache_lookups_total", result="hit")
    assert hits - value(before, "carepath_route_cache_lookups_total", result="hit") == 1


def test_in_production_metrics_need_the_scrape_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-secret-1")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-1"}).status_code == 200
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    monkeypatch.setitem(app.config, "CAREPATH_ENV", "production")
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def _answers(url: str) -> bool:
    try:
        return _get(url)[0] == 200
    except OSError:
        return False


def _workers_that_counted(metrics_dir: Path) -> set[str]:
    return {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("counter_*.db")}


def _until_both_workers_answered(url: str, metrics_dir: Path) -> int:
    """Send requests four at a time until both workers have counted some; return how many were sent.

    Sync workers take turns at accept() as the kernel pleases (and the second may still be booting), so
    a fixed number of one-at-a-time requests can all land on one worker; concurrent ones keep one busy.
    """
    sent, deadline = 0, time.monotonic() + 60
    with ThreadPoolExecutor(max_workers=4) as pool:
        while len(_workers_that_counted(metrics_dir)) < 2:
            assert time.monotonic() < deadline, _workers_that_counted(metrics_dir)
            assert [status for status, _ in pool.map(_get, [url] * 8)] == [200] * 8
            sent += 8
    return sent


def test_two_gunicorn_workers_report_each_others_counts(app, database_url, tmp_path):
    port = free_port()
    metrics_dir = tmp_path / "prometheus"
    inherited = without_faketime(dict(os.environ))  # gunicorn's arbiter sleeps: EINVAL under it
    env = {
        **{k: v for k, v in inherited.items() if k not in {"REDIS_URL", "PROMETHEUS_MULTIPROC_DIR"}},
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "CAREPATH_ENV": "production",
        "SECRET_KEY": "gunicorn-test-secret",
        "JWT_SECRET_KEY": "gunicorn-test-jwt-secret-long-enough-for-hs256",
        "CAREPATH_METRICS_TOKEN": "scrape-secret-2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    command = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded CI machine boots workers slowly
        while not _answers(f"{base}/healthz"):  # a probe timing out while workers boot is answered later
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text()[-3000:])
            pause(0.2)
        healthz = {"method": "GET", "endpoint": "/healthz", "status": "200"}
        before = value(
            scrape(_get(f"{base}/metrics", "scrape-secret-2")[1]), "carepath_http_requests_total", **healthz
        )
        sent = _until_both_workers_answered(f"{base}/healthz", metrics_dir)
        for _ in range(6):  # whichever worker answers the scrape sees the sum of both
            status, text = _get(f"{base}/metrics", "scrape-secret-2")
            assert status == 200
            assert value(scrape(text), "carepath_http_requests_total", **healthz) == before + sent
        assert _get(f"{base}/metrics")[0] == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    # each request is logged once, by the app: no second access line from gunicorn
    lines = (tmp_path / "gunicorn.log").read_text().splitlines()
    loggers = Counter(json.loads(line)["logger"] for line in lines if line.startswith("{"))
    assert loggers["api.request_log"] >= sent and loggers["gunicorn.access"] == 0, loggers
