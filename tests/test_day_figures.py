"""The day's figures (per site, across sites) and `carepath report`, checked against the database."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from api.cli import main
from navigation.models import EntryStatus, Journey, QueueEntry, Task, TaskStatus
from tests.conftest import T0
from tests.day import Day

DAY = "2026-11-25"  # T0's local date in the demo hospital (the injected clock, not the real one)


@pytest.fixture
def morning(client, clock, reception, nurse) -> Day:
    """Five patients, half a morning through the API, one step cancelled at the desk."""
    day = Day(client, clock, reception, nurse)
    day.check_in(5)
    day.run(8, minutes=6)
    first = day.patients[0].journey
    last = next(t for t in first["tasks"] if t["key"] == "report")
    url = f"/api/v1/journeys/{first['id']}/tasks/{last['id']}/cancel"
    assert client.post(url, json={"reason": "ordered twice"}, headers=reception).status_code == 200
    return day


def report(app, *args: str):
    return app.test_cli_runner().invoke(main, ["report", *args])


def from_database(session) -> dict:
    """The figures a person would count by hand in the tables, independently of navigation/kpis.py."""
    session.expire_all()
    journeys = session.scalars(sa.select(Journey).where(Journey.site_id == 1)).all()
    ids = [j.id for j in journeys]
    tasks = session.scalars(sa.select(Task).where(Task.journey_id.in_(ids))).all()
    entries = session.scalars(sa.select(QueueEntry).where(QueueEntry.journey_id.in_(ids))).all()
    waits = [
        ((e.called_at or e.started_at) - e.joined_at).total_seconds() / 60
        for e in entries
        if e.called_at or e.started_at
    ]
    return {
        "patients": len(journeys),
        "steps": len(tasks),
        "steps_done": sum(t.status == TaskStatus.COMPLETED for t in tasks),
        "cancelled": sum(t.status == TaskStatus.CANCELLED for t in tasks),
        "no_shows": sum(e.status == EntryStatus.NO_SHOW for e in entries),
        "waiting": [e for e in entries if e.status in (EntryStatus.WAITING, EntryStatus.SKIPPED)],
        "waits": waits,
    }


def test_the_daily_report_has_every_step_and_the_figures_of_the_database(
    app, client, session, clock, admin, morning, tmp_path
):
    counted = from_database(session)
    result = report(app, "--site", "demo", "--date", DAY, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output

    raw = (tmp_path / f"demo-{DAY}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark spreadsheet programs need for Chinese
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == counted["steps"]
    assert sum(r["status"] == "completed" for r in rows) == counted["steps_done"]
    assert {r["patient"] for r in rows} and all(re.fullmatch(r"P-[0-9a-f]{10}", r["patient"]) for r in rows)
    assert len({r["patient"] for r in rows}) == counted["patients"]
    text = raw.decode("utf-8-sig")
    assert not any(p.name in text or p.mrn in text for p in morning.patients)
    cancelled = [r for r in rows if r["status"] == "cancelled"]
    assert len(cancelled) == counted["cancelled"] == 1 and cancelled[0]["not_done"] == "ordered twice"
    started = [r for r in rows if r["started"]]
    assert all(re.fullmatch(r"2026-11-25 \d\d:\d\d", r["started"]) for r in started)  # hospital time

    html = (tmp_path / f"demo-{DAY}.html").read_text(encoding="utf-8")
    shown = dict(re.findall(r'data-key="([a-z0-9_]+)">([^<]*)<', html))
    figures = client.get(f"/api/v1/sites/demo/kpis?date={DAY}", headers=admin).json
    for key, value in shown.items():
        assert str(figures[key]) == value, key
    assert figures["patients"] == counted["patients"] == 5
    assert figures["steps"] == counted["steps"] and figures["steps_done"] == counted["steps_done"]
    assert figures["no_shows"] == counted["no_shows"]
    assert figures["steps_not_done"] >= 1 and figures["not_done_reasons"]["ordered twice"] == 1
    queue_waits = counted["waits"] + [
        (clock() - e.joined_at).total_seconds() / 60 for e in counted["waiting"]
    ]
    assert figures["mean_queue_wait_min"] == pytest.approx(sum(queue_waits) / len(queue_waits), abs=0.1)
    csv_waits = [float(r["wait_min"]) for r in rows if r["wait_min"]]
    assert round(sum(csv_waits) / len(csv_waits), 1) == figures["mean_queue_wait_min"]
    # self-contained: no script, stylesheet or image fetched from anywhere
    assert "<script" not in html and not re.search(r'(src|href)="(?!data:)', html)
    assert html.count('src="data:image/svg+xml;base64,') == 3


def test_a_day_without_patients_gives_a_header_only_csv_and_success(app, tmp_path):
    empty_day = (T0 - timedelta(days=30)).date().isoformat()
    result = report(app, "--site", "demo", "--date", empty_day, "--out", str(tmp_path / "reports"))
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "reports" / f"demo-{empty_day}.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines == [lines[0]] and lines[0].startswith("patient,step,exam,")
    assert 'data-key="patients">0<' in (tmp_path / "reports" / f"demo-{empty_day}.html").read_text()


def test_report_refuses_an_unknown_site_or_a_bad_date(app, tmp_path):
    unknown = report(app, "--site", "nowhere", "--date", DAY, "--out", str(tmp_path))
    assert unknown.exit_code == 2 and "no site 'nowhere'" in unknown.output
    bad = report(app, "--site", "demo", "--date", "25/11/2026", "--out", str(tmp_path))
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    assert not list(tmp_path.iterdir())


def test_a_regional_admin_sees_every_site_and_the_region_pooled(client, regional_admin, admin, morning):
    region = client.get(f"/api/v1/kpis?date={DAY}", headers=regional_admin).json
    by_site = {s["site"]: s for s in region["sites"]}

    assert set(by_site) == {"demo", "riverside"}
    assert by_site["demo"]["patients"] == 5 and by_site["riverside"]["patients"] == 0
    assert region["all"]["patients"] == 5 and region["all"]["steps"] == by_site["demo"]["steps"]
    own = client.get(f"/api/v1/kpis?date={DAY}", headers=admin).json
    assert [s["site"] for s in own["sites"]] == ["demo"]  # a site's staff: their own site only
    assert client.get("/api/v1/sites/riverside/kpis", headers=admin).status_code == 404
    assert client.get("/api/v1/sites/riverside/kpis", headers=regional_admin).status_code == 200
    assert client.get("/api/v1/sites/demo/kpis?date=2026-02-30", headers=admin).json["errors"] == {
        "query": {"date": ["Not a valid date."]}
    }
    for far in ("0001-01-01", "9999-12-31"):  # the calendar's ends: refused, not a server error
        answer = client.get(f"/api/v1/kpis?date={far}", headers=regional_admin)
        assert answer.status_code == 422 and "date" in answer.json["errors"]["query"]
