"""Hospital IT: the exam catalog and the hospital's rooms, as data loaded through the API."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.auth import BEARER, staff_required
from api.context import commit, now
from api.extensions import db
from api.schemas import CatalogInfoSchema, ExamTypeSchema
from navigation import audit
from navigation.catalog.store import active_catalog, install_catalog
from navigation.errors import DomainError
from navigation.hospital import load_hospital
from navigation.models import CatalogVersion, Role, Room

blp = Blueprint("admin", __name__, url_prefix="/api/v1", description="Hospital IT: catalog and hospital data")


class SiteSummarySchema(Schema):
    site = fields.String()
    buildings = fields.Integer()
    rooms = fields.Integer()


def _json_body() -> Any:
    body = request.get_json(silent=True)
    if body is None:
        raise DomainError("send the document as a JSON body", field="body")
    return body


@blp.route("/catalog/exams")
class CatalogExams(MethodView):
    @blp.response(200, ExamTypeSchema(many=True))
    def get(self):
        """The active exam catalog: every exam type with its names and preparation rules."""
        return list(active_catalog(db.session).exam_types.values())


@blp.route("/catalog")
class CatalogDocument(MethodView):
    @blp.doc(security=BEARER)
    @staff_required(Role.ADMIN)
    @blp.response(200, CatalogInfoSchema)
    def put(self):
        """Load and activate a new catalog version (docs/catalog-format.md); refused whole if invalid."""
        row = install_catalog(db.session, _json_body())
        audit.record(db.session, g.staff, "catalog.load", "catalog", row.version, site_id=None, now=now())
        commit()
        return _info(row)

    @blp.response(200, CatalogInfoSchema)
    def get(self):
        """Which catalog version is active."""
        row = db.session.scalar(sa.select(CatalogVersion).where(CatalogVersion.active))
        if row is None:
            raise DomainError("no exam catalog is loaded")
        return _info(row)


@blp.route("/hospital")
class HospitalDocument(MethodView):
    @blp.doc(security=BEARER)
    @staff_required(Role.ADMIN)
    @blp.response(200, SiteSummarySchema)
    def put(self):
        """Create or update a site's buildings, floors and rooms (docs/hospital-format.md)."""
        site = load_hospital(db.session, _json_body())
        audit.record(db.session, g.staff, "hospital.load", "site", site.code, site_id=site.id, now=now())
        commit()
        return {"site": site.code, "buildings": len(site.buildings), "rooms": _room_count(site.id)}


def _room_count(site_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Room).where(Room.site_id == site_id))


def _info(row: CatalogVersion) -> dict:
    return {"version": row.version, "exam_types": len(row.document["exam_types"]), "loaded_at": row.loaded_at}
