"""A first visit: the index page leads each audience to its pages; the demo runs at any hour."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import Clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_front_page_links_every_audience_to_a_working_page(client):
    front = client.get("/")
    assert front.status_code == 200
    html = front.get_data(as_text=True)
    links = re.findall(r'href="([^"]+)"', html)
    assert {"/reception", "/nurse", "/api/docs"} <= set(links)
    assert "/signage/demo/ultrasound" in links  # one waiting-room screen per department
    for link in links:
        if link.startswith("/") and not link.startswith("/static/"):
            assert client.get(link, follow_redirects=True).status_code == 200, link


def test_the_demo_clock_starts_at_the_chosen_local_time_and_runs_in_real_time():
    from navigation.demo.clock import OffsetClock

    real = Clock(datetime(2026, 11, 30, 21, 5, tzinfo=UTC))  # 05:05 the next morning in Shanghai
    clock = OffsetClock(time(8, 0), "Asia/Shanghai", real=real)
    assert clock().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") == "2026-12-01 08:00"
    real.advance(minutes=25, seconds=30)
    assert clock().astimezone(SHANGHAI).strftime("%H:%M:%S") == "08:25:30"


def test_carepath_demo_clock_plans_a_check_in_at_the_demo_hour(tmp_path, monkeypatch):
    """`carepath demo --clock 14:10` at whatever real hour: the day is planned from 14:10."""
    import werkzeug.serving
    from click.testing import CliRunner

    from api.cli import main

    served = {}
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda host, port, app, **kw: served.update(app=app))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.sqlite'}")
    monkeypatch.setenv("REDIS_URL", "")
    result = CliRunner().invoke(main, ["demo", "--clock", "14:10", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert "14:10 Asia/Shanghai" in result.output
    app = served["app"]
    app.config["CAREPATH_INPROCESS_WORKER"] = False
    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"username": "reception", "password": "demo"})
    staff = {"Authorization": f"Bearer {login.json['access_token']}"}
    body = {
        "visit_number": "V-DEMO-1",
        "patient": {"mrn": "M1", "name": "Li Wei", "language": "zh", "mobility": "walking"},
        "orders": [{"code": "ECG"}],
    }
    journey = client.post("/api/v1/journeys", json=body, headers=staff)
    assert journey.status_code == 201, journey.json
    starts = [datetime.fromisoformat(t["planned_start"]) for t in journey.json["tasks"] if t["planned_start"]]
    first = min(starts).astimezone(SHANGHAI)
    demo_now = datetime.combine(datetime.now(SHANGHAI).date(), time(14, 10), tzinfo=SHANGHAI)
    assert demo_now - timedelta(minutes=1) <= first <= demo_now + timedelta(minutes=30)


def test_carepath_demo_refuses_a_clock_that_is_not_a_time(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from api.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.sqlite'}")
    result = CliRunner().invoke(main, ["demo", "--clock", "25:00", "--no-serve"])
    assert result.exit_code == 2
    assert "'25:00' is not a time of day as HH:MM" in result.output
