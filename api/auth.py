"""Who is calling: staff with a JWT (role-scoped) or a patient with their journey's access token."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request
from flask.views import MethodView
from flask_jwt_extended import create_access_token, get_jwt_identity, verify_jwt_in_request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.errors import problem
from api.extensions import db, jwt, limiter
from navigation.access import journey_for_token
from navigation.errors import DomainError, Forbidden, NotFound
from navigation.models import Journey, Role, Site, StaffUser
from navigation.staff import authenticate

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Staff sign-in")
BEARER = [{"bearerAuth": []}]


class Unauthorized(DomainError):
    status = 401


class LoginSchema(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(dump_default="Bearer")
    role = fields.String()
    site = fields.String(allow_none=True)
    expires_in = fields.Integer(metadata={"description": "seconds"})


@blp.route("/login")
class Login(MethodView):
    decorators = [limiter.limit("20/minute")]

    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, body: dict) -> dict:
        """Sign in with a staff account; send the token as `Authorization: Bearer <token>`."""
        user = authenticate(db.session, body["username"], body["password"])
        if user is None:
            raise Unauthorized("wrong username or password", field="password")
        expires = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
        token = create_access_token(identity=str(user.id), additional_claims={"role": user.role.value})
        site = db.session.get(Site, user.site_id) if user.site_id else None
        return {
            "access_token": token,
            "role": user.role.value,
            "site": site.code if site else None,
            "expires_in": int(expires.total_seconds()),
        }


def staff_required(*roles: Role) -> Callable:
    """Require a signed-in, active staff user (of one of `roles` if given); sets `g.staff`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.staff = _current_staff()
            if roles and g.staff.role not in roles:
                allowed = ", ".join(r.value for r in roles)
                raise Forbidden(f"this needs one of the roles: {allowed}")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _current_staff() -> StaffUser:
    verify_jwt_in_request()
    user = db.session.get(StaffUser, int(get_jwt_identity()))
    if user is None or not user.active:
        raise Unauthorized("this staff account is no longer active")
    return user


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def journey_reader(journey_id: int) -> Journey:
    """The journey, if the caller is its patient (access token) or staff of its site."""
    token = bearer_token()
    if token and token.startswith("pt_"):
        journey = journey_for_token(db.session, current_app.config["SECRET_KEY"], token)
        if journey is None or journey.id != journey_id:
            # Same answer for a wrong token and another patient's journey: nothing to probe.
            raise NotFound(f"no journey {journey_id}")
        g.staff = None  # a patient reading their own journey
        return journey
    staff = _current_staff()
    g.staff = staff
    journey = db.session.get(Journey, journey_id)
    if journey is None or (staff.site_id is not None and journey.site_id != staff.site_id):
        raise NotFound(f"no journey {journey_id}")
    return journey


def register_jwt_errors() -> None:
    """flask-jwt-extended answers {"msg"}; give its errors the same shape as every other."""

    @jwt.unauthorized_loader
    def missing(reason: str):
        return problem(401, f"sign in first: {reason}", headers={"WWW-Authenticate": "Bearer"})

    @jwt.invalid_token_loader
    def invalid(reason: str):
        return problem(401, f"invalid token: {reason}", headers={"WWW-Authenticate": "Bearer"})

    @jwt.expired_token_loader
    def expired(_header: dict, _payload: dict):
        return problem(401, "your session has expired; sign in again", headers={"WWW-Authenticate": "Bearer"})

    @jwt.revoked_token_loader
    def revoked(_header: dict, _payload: dict):
        return problem(401, "this token was revoked", headers={"WWW-Authenticate": "Bearer"})
