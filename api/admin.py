"""Hospital IT: the exam catalog and the hospital's rooms, as data loaded through the API."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from api import access
from api.context import commit, now
from api.extensions import db
from api.schemas import CatalogInfoSchema, ExamTypeSchema
from navigation import audit, routing
from navigation.catalog.loading import CatalogDocumentSchema, flatten_errors
from navigation.catalog.store import active_catalog, install_catalog
from navigation.catalog.variants import set_variant
from navigation.errors import DomainError, Forbidden
from navigation.hospital import HospitalDocumentSchema, load_hospital
from navigation.integration.code_store import replace_mappings, site_rows
from navigation.integration.codes import MappingFileError, MappingRow, canonical_system, read_csv
from navigation.models import CatalogVersion, FhirServer, Role, Room, Site, SiteCatalog

blp = Blueprint("admin", __name__, url_prefix="/api/v1", description="Hospital IT: catalog and hospital data")
ADMINS = (Role.ADMIN, Role.REGIONAL_ADMIN)  # a site's IT for their site; the region's for any


class SiteSummarySchema(Schema):
    site = fields.String()
    buildings = fields.Integer()
    rooms = fields.Integer()


def _audited(action: str, target_type: str, target_id: Any, site_id: int | None, **detail: Any) -> None:
    """Commit the change with its audit row (who loaded what, when): one transaction, never one
    without the other."""
    audit.record(db.session, g.staff, action, target_type, target_id, site_id=site_id, now=now(), **detail)
    commit()


def _document_body(schema: type, description: str) -> dict:
    """The OpenAPI request body of a document the loader (not webargs) validates, so that the
    document shows what to send while the loader keeps its whole-document error report."""
    return {"required": True, "description": description, "content": {"application/json": {"schema": schema}}}


def _json_body(shape: type = dict) -> Any:
    """The uploaded document, of the JSON shape it must have: a catalog, hospital or map is an
    object (an array or a number there would fail deep inside the loader), a table a list."""
    body = request.get_json(silent=True)
    if not isinstance(body, shape):
        kind = "an object" if shape is dict else "an array"
        raise DomainError(f"send the document as a JSON body that is {kind}", field="body")
    return body


@blp.route("/catalog/exams")
class CatalogExams(MethodView):
    @access.public("exam names and preparation rules, the same at every site")
    @blp.response(200, ExamTypeSchema(many=True))
    def get(self):
        """The active exam catalog: every exam type with its names and preparation rules."""
        return list(active_catalog(db.session).exam_types.values())


@blp.route("/catalog")
class CatalogDocument(MethodView):
    @blp.doc(requestBody=_document_body(CatalogDocumentSchema, "The catalog (docs/catalog-format.md)"))
    @access.staff(Role.REGIONAL_ADMIN)
    @blp.response(200, CatalogInfoSchema)
    def put(self):
        """Load and activate a new catalog version (docs/catalog-format.md); refused whole if invalid.
        The catalog is one for every site: only a regional admin replaces it."""
        row = install_catalog(db.session, _json_body())
        _audited("catalog.load", "catalog", row.version, None)
        return _info(row)

    @access.public("which catalog version is active")
    @blp.response(200, CatalogInfoSchema)
    def get(self):
        """Which catalog version is active."""
        row = db.session.scalar(sa.select(CatalogVersion).where(CatalogVersion.active))
        if row is None:
            raise DomainError("no exam catalog is loaded")
        return _info(row)


@blp.route("/hospital")
class HospitalDocument(MethodView):
    @blp.doc(requestBody=_document_body(HospitalDocumentSchema, "The site (docs/hospital-format.md)"))
    @access.staff(*ADMINS)
    @blp.response(200, SiteSummarySchema)
    def put(self):
        """Create or update a site's buildings, floors and rooms (docs/hospital-format.md). A site's
        admin changes only their own site; a regional admin changes or adds any."""
        document = _json_body()
        _may_load(document)
        site = load_hospital(db.session, document)
        _audited("hospital.load", "site", site.code, site.id)
        return {"site": site.code, "buildings": len(site.buildings), "rooms": _room_count(site.id)}


def _may_load(document: Any) -> None:
    site_part = document.get("site") if isinstance(document, dict) else None
    code = site_part.get("code") if isinstance(site_part, dict) else None
    if not isinstance(code, str):
        return  # load_hospital refuses the document and names the field
    site = db.session.scalar(sa.select(Site).where(Site.code == code))
    if site is None and not g.scope.every_site:
        raise Forbidden("only a regional admin adds a site", field="site.code")
    if site is not None and not g.scope.includes(site.id):
        raise Forbidden("an admin changes only their own site", field="site.code")


def _room_count(site_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Room).where(Room.site_id == site_id))


def _info(row: CatalogVersion) -> dict:
    return {"version": row.version, "exam_types": len(row.document["exam_types"]), "loaded_at": row.loaded_at}


SITE = "<string(maxlength=32):site>"


class MapReportSchema(Schema):
    errors = fields.List(fields.Dict())
    warnings = fields.List(fields.Dict())


class ClosureInSchema(Schema):
    target = fields.String(
        required=True,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "A corridor or door (edge id), a node id, or an elevator id"},
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=400))


class ClosureSchema(Schema):
    id = fields.Integer()
    target_kind = fields.String()
    target_id = fields.String()
    reason = fields.String()
    closed_at = fields.DateTime()
    reopened_at = fields.DateTime(allow_none=True)


@blp.route(f"/sites/{SITE}/map")
class SiteMapDocument(MethodView):
    @access.staff(*ADMINS)
    @blp.response(200, MapReportSchema)
    def put(self, site: str):
        """Replace the site's map with a CarePath JSON map (docs/map-format.md); refused whole on errors."""
        target = g.scope.named(site)
        report = routing.install_map(db.session, target, _json_body())
        _audited("map.load", "site", site, target.id)
        return report


@blp.route(f"/sites/{SITE}/map/imdf")
class SiteMapImdf(MethodView):
    @blp.doc(
        requestBody={
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "archive": {
                                "type": "string",
                                "format": "binary",
                                "description": "IMDF zip archive",
                            }
                        },
                    }
                }
            }
        },
    )
    @access.staff(*ADMINS)
    @blp.response(200, MapReportSchema)
    def post(self, site: str):
        """Import an IMDF archive (zip) as the site's map; warnings are reported, errors refuse it."""
        target = g.scope.named(site)
        upload = request.files.get("archive")
        if upload is None:
            raise DomainError("send the IMDF zip as the form field 'archive'", field="archive")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "imdf.zip"
            try:
                upload.save(path)
            finally:
                upload.close()
            report = routing.install_map(db.session, target, path)
        _audited("map.import_imdf", "site", site, target.id)
        return report


@blp.route(f"/sites/{SITE}/closures")
class Closures(MethodView):
    @access.staff(Role.NURSE, Role.ADMIN)
    @blp.response(200, ClosureSchema(many=True))
    def get(self, site: str):
        """Corridors, doors and elevators closed now."""
        return routing.active_closures(db.session, g.scope.named(site))

    @access.staff(Role.NURSE, Role.ADMIN)
    @blp.arguments(ClosureInSchema)
    @blp.response(201, ClosureSchema)
    def post(self, body: dict, site: str):
        """Close a corridor, door or elevator: every route avoids it from the next request."""
        closure = routing.close(
            db.session, g.scope.named(site), body["target"], body["reason"], g.staff, now()
        )
        commit()
        return closure


@blp.route(f"/sites/{SITE}/closures/<int(max=2147483647):closure_id>")
class ClosureView(MethodView):
    @access.staff(Role.NURSE, Role.ADMIN)
    @blp.response(200, ClosureSchema)
    def delete(self, site: str, closure_id: int):
        """Reopen it."""
        closure = routing.reopen(db.session, g.scope.named(site), closure_id, g.staff, now())
        commit()
        return closure


class CodeMappingSchema(Schema):
    system = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Coding system URI (http://loinc.org) or HL7 v2 name (LN)"},
    )
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    exam_code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    display = fields.String(load_default="", validate=validate.Length(max=200))


@blp.route(f"/sites/{SITE}/code-mappings")
class CodeMappings(MethodView):
    @access.staff(Role.ADMIN, Role.RECEPTION, Role.REGIONAL_ADMIN)
    @blp.response(200, CodeMappingSchema(many=True))
    def get(self, site: str):
        """The site's table from the hospital's codes (LOINC, local charge codes) to catalog exams."""
        return site_rows(db.session, g.scope.named(site))

    @blp.doc(
        requestBody={
            "content": {
                "application/json": {"schema": {"type": "array", "items": CodeMappingSchema}},
                "text/csv": {"schema": {"type": "string", "description": "system,code,exam_code[,display]"}},
            }
        },
    )
    @access.staff(*ADMINS)
    @blp.response(200, CodeMappingSchema(many=True))
    def put(self, site: str):
        """Replace the site's whole table, as JSON rows or a CSV file; refused whole if a row is wrong."""
        target = g.scope.named(site)
        if request.mimetype == "text/csv":
            try:
                rows = read_csv(request.get_data(as_text=True))
            except MappingFileError as exc:
                raise DomainError(str(exc), errors=exc.errors) from exc
        else:
            try:
                loaded = CodeMappingSchema(many=True).load(_json_body(list))
            except ValidationError as exc:
                raise DomainError("the code mapping is invalid", errors=flatten_errors(exc.messages)) from exc
            rows = [
                MappingRow(canonical_system(r["system"]), r["code"].strip(), r["exam_code"], r["display"])
                for r in loaded
            ]
        count = replace_mappings(db.session, target, rows)
        _audited("codes.load", "site", site, target.id, rows=count)
        return site_rows(db.session, target)


class FhirServerSchema(Schema):
    base_url = fields.Url(
        required=True, require_tld=False, schemes={"http", "https"}, validate=validate.Length(max=500)
    )
    auth = fields.String(load_default="none", validate=validate.OneOf(["none", "bearer", "basic"]))
    credential_env = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[A-Z_][A-Z0-9_]{0,99}$"),
        metadata={"description": "Name of the environment variable holding the token (or user:password)"},
    )
    timeout_seconds = fields.Float(
        load_default=10.0, allow_none=True, validate=validate.Range(min=0.5, max=60)
    )


class FhirServerOutSchema(FhirServerSchema):
    base_url = fields.String(allow_none=True, metadata={"description": "null when none is set"})


@blp.route(f"/sites/{SITE}/fhir-server")
class SiteFhirServer(MethodView):
    @access.staff(*ADMINS)
    @blp.response(200, FhirServerOutSchema)
    def get(self, site: str):
        """Where check-in fetches the visit's orders (pull mode); `base_url` null when none is set."""
        server = db.session.get(FhirServer, g.scope.named(site).id)
        return server or {"base_url": None, "auth": "none", "credential_env": None, "timeout_seconds": None}

    @access.staff(*ADMINS)
    @blp.arguments(FhirServerSchema)
    @blp.response(200, FhirServerOutSchema)
    def put(self, body: dict, site: str):
        """Set the hospital's FHIR server for check-in by visit number; the credential stays in the
        environment variable named here, never in the database."""
        target = g.scope.named(site)
        server = db.session.get(FhirServer, target.id) or FhirServer(site_id=target.id)
        for key, value in body.items():
            setattr(server, key, value.rstrip("/") if key == "base_url" else value)
        db.session.add(server)
        _audited("fhir_server.set", "site", site, target.id)
        return server


class CatalogVariantSchema(Schema):
    overrides = fields.Dict(metadata={"description": "What this site changes in the shared catalog"})


@blp.route(f"/sites/{SITE}/catalog")
class SiteCatalogVariant(MethodView):
    @access.staff(*ADMINS)
    @blp.response(200, CatalogVariantSchema)
    def get(self, site: str):
        """The site's variant of the shared catalog: only what differs (durations, rules)."""
        row = db.session.get(SiteCatalog, g.scope.named(site).id)
        return {"overrides": row.overrides if row else {}}

    @access.staff(*ADMINS)
    @blp.response(200, CatalogInfoSchema)
    def put(self, site: str):
        """Replace the site's variant (`{"exam_types": {"CT-CHEST": {"duration_min": 20}}}`); check-ins
        at the site use the shared catalog with these changes. Refused whole if the result is invalid."""
        target = g.scope.named(site)
        catalog = set_variant(db.session, target, _json_body())
        _audited("catalog.variant", "site", site, target.id)
        row = db.session.scalar(sa.select(CatalogVersion).where(CatalogVersion.version == catalog.version))
        return _info(row)
