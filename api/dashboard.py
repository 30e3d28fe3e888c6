"""The department head's day: its figures per site and across sites, and the live dashboard's data
(the `/dashboard` page, in api/pages.py, is an HTML shell: this data needs a staff token of the site)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api import access, charts
from api.access import STAFF_ROLES
from api.context import now
from api.extensions import db
from api.schemas import PLAUSIBLE_YEARS
from navigation.day_view import dashboard
from navigation.kpis import EARLIEST, LATEST, across_sites, day_figures, site_day, today
from navigation.models import Role, Site

blp = Blueprint(
    "dashboard", __name__, url_prefix="/api/v1", description="The day's figures and live dashboard"
)
SITE = "<string(maxlength=32):site>"
READERS = (*STAFF_ROLES, Role.REGIONAL_ADMIN)


class DayQuerySchema(Schema):
    date = fields.Date(
        validate=validate.Range(min=EARLIEST, max=LATEST),
        metadata={"description": "The site's local date (YYYY-MM-DD); today when absent", **PLAUSIBLE_YEARS},
    )


class FiguresSchema(Schema):
    """The simulator's KPI keys (`carepath simulate`), plus what only a real day knows."""

    site = fields.String()
    date = fields.String()
    patients = fields.Integer()
    mean_time_in_hospital_min = fields.Float()
    p90_time_in_hospital_min = fields.Float()
    mean_wait_min = fields.Float(metadata={"description": "Time in hospital outside exams (walks included)"})
    mean_fasting_min = fields.Float()
    utilisation = fields.Float(metadata={"description": "Exam rooms' busy share of their open time so far"})
    steps_not_done = fields.Integer()
    revisit_patients = fields.Integer()
    mean_time_on_site_min = fields.Float(
        metadata={"description": "Time in hospital less a closing meal (eaten anywhere), as simulated"}
    )
    p90_time_on_site_min = fields.Float()
    steps = fields.Integer()
    steps_done = fields.Integer()
    mean_queue_wait_min = fields.Float(metadata={"description": "Arrival at a room to the call, per step"})
    p90_queue_wait_min = fields.Float()
    no_shows = fields.Integer()
    not_done_reasons = fields.Dict(keys=fields.String(), values=fields.Integer())


class RegionSchema(Schema):
    date = fields.String()
    sites = fields.List(fields.Nested(FiguresSchema))
    all = fields.Nested(FiguresSchema, metadata={"description": "Every site's steps pooled"})


class DashboardSchema(Schema):
    site = fields.String()
    date = fields.String()
    timezone = fields.String()
    now = fields.String()
    figures = fields.Nested(FiguresSchema)
    in_building = fields.Integer(metadata={"description": "Patients checked in today whose visit is open"})
    waiting_by_department = fields.Dict(keys=fields.String(), values=fields.Integer())
    rooms_busy = fields.Integer()
    rooms_idle = fields.Integer()
    rooms = fields.List(fields.Dict(), metadata={"description": "room, department, state, waiting"})
    queue_length = fields.List(fields.Dict(), metadata={"description": "at, waiting: each quarter hour"})
    gantt = fields.List(fields.Dict(), metadata={"description": "room, bars: planned and actual spans"})
    not_done = fields.List(fields.Dict(), metadata={"description": "step, room, reason"})
    charts = fields.Dict(
        keys=fields.String(), values=fields.String(), metadata={"description": "SVG data: URIs"}
    )


def pseudonym_key() -> str:
    return str(current_app.config["SECRET_KEY"])


def _day_of(site: Site, query: dict) -> date:
    return query.get("date") or today(site, now())


@blp.route(f"/sites/{SITE}/kpis")
class SiteFigures(MethodView):
    @access.staff(*READERS)
    @blp.arguments(DayQuerySchema, location="query")
    @blp.response(200, FiguresSchema)
    def get(self, query: dict, site: str):
        """A site's figures for a day, in the simulator's words (see docs/ops/README.md)."""
        place = g.scope.named(site)
        return day_figures(db.session, site_day(place, _day_of(place, query), now()), pseudonym_key())


@blp.route("/kpis")
class RegionFigures(MethodView):
    @access.staff(*READERS)
    @blp.arguments(DayQuerySchema, location="query")
    @blp.response(200, RegionSchema)
    def get(self, query: dict):
        """Every site's figures for a day and all sites pooled (a regional admin: every site;
        staff of a site: their own)."""
        sites = list(db.session.scalars(sa.select(Site).order_by(Site.code)))
        sites = [site for site in sites if g.scope.includes(site.id)]
        day_of = query.get("date") or today(sites[0], now())
        return across_sites(db.session, sites, day_of, now(), pseudonym_key())


@blp.route(f"/sites/{SITE}/dashboard")
class Dashboard(MethodView):
    @access.staff(*READERS)
    @blp.response(200, DashboardSchema)
    def get(self, site: str):
        """Today live: patients here, lines per department, rooms busy and idle, the day's figures,
        queue length over the day, planned versus actual per room, steps not done and why."""
        place = g.scope.named(site)
        day = site_day(place, today(place, now()), now())
        view = dashboard(db.session, day, pseudonym_key())
        view["charts"] = chart_images(view, day.start, day.until)
        return _iso(view)


def chart_images(view: dict[str, Any], start: datetime, end: datetime) -> dict[str, str]:
    zone = view["timezone"]
    first = min((p["at"] for p in view["queue_length"]), default=start)
    return {
        "waiting": charts.data_uri(
            charts.bars(view["waiting_by_department"], "Waiting now per department · 各科室候诊")
        ),
        "queue_length": charts.data_uri(
            charts.line(view["queue_length"], "Patients in line · 排队人数", zone)
        ),
        "gantt": charts.data_uri(
            charts.gantt(
                view["gantt"], first, max(end, first), "Rooms: planned vs actual · 诊室计划与实际", zone
            )
        ),
    }


def _iso(value: Any) -> Any:
    """Times as ISO 8601 (Flask would write them as HTTP dates)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _iso(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_iso(item) for item in value]
    return value
