"""Staff sign-in (JWTs), and flask-jwt-extended's errors in CarePath's one error shape."""

from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app, request
from flask.views import MethodView
from flask_jwt_extended import create_access_token
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api import access
from api.access import Unauthorized
from api.context import commit, now
from api.errors import problem
from api.extensions import db, jwt, limiter
from navigation import sign_in
from navigation.errors import DomainError, Forbidden
from navigation.models import Site
from navigation.staff import authenticate, password_fit

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Staff sign-in")
BEARER = [{"bearerAuth": []}]


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))


class TryLater(DomainError):
    status = 429

    def __init__(self, wait: timedelta):
        seconds = max(1, math.ceil(wait.total_seconds()))
        super().__init__(
            f"too many wrong passwords for this account from here: try again in {seconds} s",
            field="password",
        )
        self.headers = {"Retry-After": str(seconds)}


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(dump_default="Bearer")
    role = fields.String()
    site = fields.String(allow_none=True)
    expires_in = fields.Integer(metadata={"description": "seconds"})


@blp.route("/login")
class Login(MethodView):
    decorators = [limiter.limit("20/minute")]

    @access.public("signing in")
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, body: dict) -> dict:
        """Sign in with a staff account; send the token as `Authorization: Bearer <token>`. After
        three wrong passwords for an account from one address, that address waits before each
        further try (1, 2, 4 ... up to 30 seconds; 429 with Retry-After)."""
        username, source = body["username"], request.remote_addr or "unknown"
        wait = sign_in.wait_needed(db.session, username, source, now())
        if wait:
            raise TryLater(wait)
        user = authenticate(db.session, username, body["password"])
        if user is None:
            sign_in.failed(db.session, username, source, now())
            commit()
            raise Unauthorized("wrong username or password", field="password")
        sign_in.succeeded(db.session, username, source)
        commit()
        if current_app.config["CAREPATH_ENV"] == "production" and not password_fit(body["password"]):
            raise Forbidden(
                "this password is not fit for production (a demo or weak one): an administrator "
                "sets a new one with `carepath staff reset-password`",
                field="password",
            )
        expires = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
        token = create_access_token(identity=str(user.id), additional_claims={"role": user.role.value})
        site = db.session.get(Site, user.site_id) if user.site_id else None
        return {
            "access_token": token,
            "role": user.role.value,
            "site": site.code if site else None,
            "expires_in": int(expires.total_seconds()),
        }


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
