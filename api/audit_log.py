"""Proof of who did what: the audit trail, read-only, for the admins of a site (a regional admin:
every site), filtered by patient, actor, action and time."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api import access
from api.extensions import db
from navigation.models import AuditRecord, Patient, Role

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Hospital IT: the audit trail")


class AuditQuerySchema(Schema):
    patient = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "The patient's MRN"}
    )
    actor = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "A username"})
    action = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "e.g. journey.read, queue.call"}
    )
    since = fields.AwareDateTime(metadata={"description": "From this time (inclusive)"})
    until = fields.AwareDateTime(metadata={"description": "Before this time"})
    site = fields.String(validate=validate.Length(min=1, max=32), metadata={"description": "Regional admins"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    before_id = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "The next page: rows older than this id"},
    )


class AuditRowSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    patient_id = fields.Integer(allow_none=True)
    site_id = fields.Integer(allow_none=True)
    detail = fields.Dict()


@blp.route("/audit")
class AuditTrail(MethodView):
    @access.staff(Role.ADMIN, Role.REGIONAL_ADMIN, audit_read="audit.read")
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditRowSchema(many=True))
    def get(self, query: dict):
        """The audit trail of your site, newest first (read-only; reading it is audited too)."""
        rows = sa.select(AuditRecord).order_by(AuditRecord.id.desc()).limit(query["limit"])
        site = g.scope.named(query.get("site")) if query.get("site") or not g.scope.every_site else None
        if site is not None:
            rows = rows.where(AuditRecord.site_id == site.id)
        if "patient" in query:
            patients = sa.select(Patient.id).where(Patient.mrn == query["patient"])
            if site is not None:
                patients = patients.where(Patient.site_id == site.id)
            rows = rows.where(AuditRecord.patient_id.in_(patients))
        if "actor" in query:
            rows = rows.where(AuditRecord.actor == query["actor"])
        if "action" in query:
            rows = rows.where(AuditRecord.action == query["action"])
        if "since" in query:
            rows = rows.where(AuditRecord.at >= query["since"])
        if "until" in query:
            rows = rows.where(AuditRecord.at < query["until"])
        if "before_id" in query:
            rows = rows.where(AuditRecord.id < query["before_id"])
        return db.session.scalars(rows).all()
