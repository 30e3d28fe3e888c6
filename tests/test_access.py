"""Sites kept apart: one mechanism (api/access.py) scopes every staff operation to the caller's site."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest
import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint

from navigation.models import AuditRecord, Room, Site, TaskTransition


def _demo_hospital() -> dict:
    return json.loads(resources.files("navigation.demo").joinpath("hospital.json").read_text("utf-8"))


def test_another_sites_admin_cannot_rewrite_this_hospital(client, north, admin, session):
    cut = _demo_hospital()
    cut["rooms"] = cut["rooms"][:1]
    cut["site"]["timezone"] = "Europe/London"
    refused = client.put("/api/v1/hospital", json=cut, headers=north["admin"])
    assert refused.status_code == 403 and refused.json["errors"]["json"] == {
        "site.code": ["an admin changes only their own site"]
    }
    session.expire_all()
    demo = session.scalar(sa.select(Site).where(Site.code == "demo"))
    assert demo.timezone == "Asia/Shanghai"
    assert session.scalar(sa.select(sa.func.count()).select_from(Room).where(Room.status == "open")) > 40
    # the demo's own admin may change it
    own = _demo_hospital()
    own["site"]["name_en"] = "Demo Hospital, renamed"
    assert client.put("/api/v1/hospital", json=own, headers=admin).status_code == 200


def test_only_a_regional_admin_adds_a_site(client, admin, regional_admin):
    new = copy.deepcopy(_demo_hospital())
    new["site"]["code"] = "east"
    refused = client.put("/api/v1/hospital", json=new, headers=admin)
    assert refused.status_code == 403 and "regional admin" in refused.json["message"]
    added = client.put("/api/v1/hospital", json=new, headers=regional_admin)
    assert added.status_code == 200 and added.json["site"] == "east"


def test_check_in_at_another_site_by_name_is_refused(client, north, check_in):
    from tests.conftest import check_in_body

    body = {**check_in_body("ECG", visit="V-N1"), "site": "demo"}
    response = client.post("/api/v1/journeys", json=body, headers=north["admin"])
    assert response.status_code == 404 and response.json["errors"]["json"] == {"site": ["no site 'demo'"]}


def test_an_endpoint_that_declares_no_callers_stops_the_app():
    """A new staff endpoint cannot forget the check: the app refuses to start without it."""
    from flask import Flask

    from api import access

    forgetful = Blueprint("forgetful", __name__, url_prefix="/api/v1")

    @forgetful.route("/everything/<int:journey_id>")
    class Everything(MethodView):
        def get(self, journey_id: int):
            return {}

    unknown = Blueprint("unknown", __name__, url_prefix="/api/v1")

    @unknown.route("/beds/<int:bed_id>")
    class Beds(MethodView):
        @access.staff()
        def get(self, bed_id: int):
            return {}

    for blueprint, message in ((forgetful, "declare its callers"), (unknown, "no owner for <bed_id>")):
        app = Flask(__name__)
        app.register_blueprint(blueprint)
        with pytest.raises(RuntimeError, match=message):
            access.check_declared(app)


def test_staff_acting_for_the_patient_is_their_own_name_in_history_and_audited(
    client, check_in, reception, session
):
    journey = check_in("ECG")
    payment = next(t for t in journey["tasks"] if t["key"] == "payment")
    url = f"/api/v1/journeys/{journey['id']}/tasks/{payment['id']}/complete"
    assert client.post(url, headers=reception).status_code == 200
    reception_id = session.scalar(sa.text("SELECT id FROM staff_user WHERE username = 'reception'"))
    assert _last_actor(session, payment["id"]) == f"staff:{reception_id}"
    audit = session.scalars(
        sa.select(AuditRecord).where(AuditRecord.action == "task.complete_for_patient")
    ).one()
    assert audit.actor == "reception" and audit.target_id == str(journey["id"]) and audit.patient_id


def test_the_patient_completing_their_own_step_is_named_patient(client, check_in, session):
    journey = check_in("ECG")
    payment = next(t for t in journey["tasks"] if t["key"] == "payment")
    as_patient = {"Authorization": f"Bearer {journey['access_token']}"}
    url = f"/api/v1/journeys/{journey['id']}/tasks/{payment['id']}/complete"
    assert client.post(url, headers=as_patient).status_code == 200
    assert _last_actor(session, payment["id"]) == "patient"
    assert not session.scalars(
        sa.select(AuditRecord).where(AuditRecord.action == "task.complete_for_patient")
    ).all()


def _last_actor(session, task_id: int) -> str:
    """Who the task history names for the step's latest change."""
    query = sa.select(TaskTransition.actor).where(TaskTransition.task_id == task_id)
    return session.scalars(query.order_by(TaskTransition.id.desc()).limit(1)).one()
