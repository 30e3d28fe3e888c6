"""Hospital IT: the staff accounts of the own site (a regional admin's: every site)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api import access
from api.context import commit, now
from api.extensions import db
from navigation import audit
from navigation.errors import Forbidden
from navigation.models import Role, Site, StaffUser
from navigation.staff import account, create_account, set_active, set_password

blp = Blueprint("staff", __name__, url_prefix="/api/v1/staff", description="Hospital IT: staff accounts")
ADMINS = (Role.ADMIN, Role.REGIONAL_ADMIN)
USERNAME = "<string(maxlength=64):username>"


def _password(required: bool) -> fields.String:
    return fields.String(
        required=required,
        load_only=True,
        validate=validate.Length(max=200),
        metadata={"description": "At least 12 characters, not a common password"},
    )


def _site_code(user: StaffUser) -> str | None:
    site = db.session.get(Site, user.site_id) if user.site_id else None
    return site.code if site else None


class StaffSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    display_name = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.Enum(Role, by_value=True, required=True)
    site = fields.Function(_site_code, allow_none=True)
    active = fields.Boolean(dump_only=True)


class NewStaffSchema(StaffSchema):
    password = _password(required=True)
    site = fields.String(load_default=None, validate=validate.Length(min=1, max=32))

    class Meta:
        fields = ("username", "display_name", "role", "site", "password")


class StaffChangeSchema(Schema):
    active = fields.Boolean()
    password = _password(required=False)
    display_name = fields.String(validate=validate.Length(max=200))


@blp.route("")
class StaffAccounts(MethodView):
    @access.staff(*ADMINS)
    @blp.response(200, StaffSchema(many=True))
    def get(self):
        """The staff accounts of your site (a regional admin: of every site)."""
        query = sa.select(StaffUser).order_by(StaffUser.username)
        if not g.scope.every_site:
            query = query.where(StaffUser.site_id == g.scope.home_id)
        return db.session.scalars(query).all()

    @access.staff(*ADMINS)
    @blp.arguments(NewStaffSchema)
    @blp.response(201, StaffSchema)
    def post(self, body: dict):
        """Create an account at your site; a regional admin names any site (or none, for a regional admin)."""
        role: Role = body["role"]
        if role == Role.REGIONAL_ADMIN and not g.scope.every_site:
            raise Forbidden("only a regional admin creates a regional admin", field="role")
        site = None if role == Role.REGIONAL_ADMIN else g.scope.named(body["site"])
        user = create_account(
            db.session,
            body["username"],
            body["password"],
            role,
            site.code if site else None,
            body["display_name"],
        )
        _audit("staff.create", user)
        commit()
        return user


@blp.route(f"/{USERNAME}")
class StaffAccount(MethodView):
    @access.staff(*ADMINS)
    @blp.arguments(StaffChangeSchema)
    @blp.response(200, StaffSchema)
    def patch(self, body: dict, username: str):
        """Disable or enable an account, give it a new password or name."""
        user = account(db.session, username)
        if "password" in body:
            set_password(db.session, user, body["password"], now())
            _audit("staff.reset_password", user)
        if "active" in body:
            set_active(db.session, user, body["active"], now())
            _audit("staff.enable" if user.active else "staff.disable", user)
        if "display_name" in body:
            user.display_name = body["display_name"] or user.username
        commit()
        return user


def _audit(action: str, user: StaffUser) -> None:
    audit.record(db.session, g.staff, action, "staff_user", user.username, site_id=user.site_id, now=now())
