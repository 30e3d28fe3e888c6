"""The daily report: a CSV of every patient step and a self-contained HTML page of the figures.

The CSV is UTF-8 with a byte-order mark (spreadsheet programs then read Chinese correctly), one
row per patient step under a pseudonym; times are the hospital's local times. The HTML embeds
its charts as SVG images and the previous day's figures beside today's, so it opens offline and
on its own. Both are named SITE-DATE, so earlier days' reports stay beside it in the folder.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import render_template
from sqlalchemy.orm import Session

from api import charts
from navigation.day_view import gantt, queue_length
from navigation.kpis import Day, StepRow, figures, open_station_minutes, site_day, step_rows

COLUMNS = (
    "patient", "step", "exam", "department", "room", "status", "planned_start", "planned_end",
    "arrived", "called", "started", "completed", "wait_min", "service_min", "no_show", "not_done",
)  # fmt: skip


def write_report(session: Session, day: Day, out: Path, key: str) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    rows = step_rows(session, day, key)
    stem = f"{day.site.code}-{day.date.isoformat()}"
    csv_path, html_path = out / f"{stem}.csv", out / f"{stem}.html"
    _write_csv(csv_path, rows, ZoneInfo(day.site.timezone))
    today = figures(rows, open_station_minutes(session, day))
    previous = site_day(day.site, day.date - timedelta(days=1), day.now)
    yesterday = figures(step_rows(session, previous, key), open_station_minutes(session, previous))
    html_path.write_text(_html(day, rows, today, yesterday), encoding="utf-8")
    return csv_path, html_path


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _write_csv(path: Path, rows: list[StepRow], zone: ZoneInfo) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for r in rows:
            writer.writerow(
                [
                    r.patient, r.step, r.exam, r.department, r.room or "", r.status,
                    *(_local(t, zone) for t in (r.planned_start, r.planned_end, r.arrived_at, r.called_at,
                                                r.started_at, r.completed_at)),
                    "" if r.wait_min is None else r.wait_min, "" if r.service_min is None else r.service_min,
                    "yes" if r.no_show else "", r.not_done or "",
                ]
            )  # fmt: skip


def _html(day: Day, rows: list[StepRow], today: dict, yesterday: dict) -> str:
    zone = day.site.timezone
    series = queue_length(rows, day)
    rooms = gantt(rows, day)
    moments = [t for r in rows for t in (r.planned_start, r.arrived_at, r.started_at, r.completed_at) if t]
    ends = [t for r in rows for t in (r.planned_end, r.completed_at) if t]
    start, end = (min(moments), max(ends or moments)) if moments else (day.start, day.end)
    waits: dict[str, list[float]] = {}
    for r in rows:
        if r.wait_min is not None:
            waits.setdefault(r.department, []).append(r.wait_min)
    mean_waits = {dept: round(sum(v) / len(v), 1) for dept, v in sorted(waits.items())}
    images = {
        "waits": charts.data_uri(charts.bars(mean_waits, "Mean wait per department (min) · 各科室平均等候")),
        "queue": charts.data_uri(charts.line(series, "Patients in line · 排队人数", zone)),
        "gantt": charts.data_uri(
            charts.gantt(rooms, start, end, "Rooms: planned vs actual · 诊室计划与实际", zone)
        ),
    }
    keys = [k for k in today if k != "not_done_reasons"]
    return render_template(
        "report.html", day=day, today=today, yesterday=yesterday, keys=keys, images=images, rows=len(rows)
    )
