"""Staff sign-in (JWTs), and flask-jwt-extended's errors in CarePath's one error shape."""

from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app, request
from flask.views import MethodView
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    decode_token,
    get_jti,
)
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api import access
from api.access import BEARER, Unauthorized
from api.context import commit, now
from api.errors import problem
from api.extensions import db, jwt, limiter
from navigation import sign_in, staff_sessions
from navigation.errors import DomainError, Forbidden
from navigation.models import Site, StaffUser
from navigation.staff import authenticate, password_fit

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Staff sign-in")


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


class AccessSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(dump_default="Bearer")
    expires_in = fields.Integer(metadata={"description": "seconds the access token works"})


class TokenSchema(AccessSchema):
    refresh_token = fields.String(
        metadata={
            "description": "renews the access token at /auth/refresh until signed out (a shift at most)"
        }
    )
    role = fields.String()
    site = fields.String(allow_none=True)
    idle_timeout = fields.Integer(metadata={"description": "seconds unused after which staff pages sign out"})


@blp.route("/login")
class Login(MethodView):
    decorators = [limiter.limit("20/minute")]

    @access.public("signing in")
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, body: dict) -> dict:
        """Sign in with a staff account; send the access token as `Authorization: Bearer <token>`
        and renew it with the refresh token at `/auth/refresh` before `expires_in` runs out. After
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
        refresh_token = create_refresh_token(identity=str(user.id))
        config = current_app.config
        staff_sessions.start(
            db.session, user, get_jti(refresh_token), now(), config["JWT_REFRESH_TOKEN_EXPIRES"]
        )
        commit()
        site = db.session.get(Site, user.site_id) if user.site_id else None
        return {
            **_access(user),
            "refresh_token": refresh_token,
            "role": user.role.value,
            "site": site.code if site else None,
            "idle_timeout": int(config["STAFF_IDLE_TIMEOUT"].total_seconds()),
        }


@blp.route("/refresh")
class Refresh(MethodView):
    @access.public("the refresh token is the key here, checked below, not an access token")
    @blp.doc(security=BEARER)
    @blp.response(200, AccessSchema)
    def post(self) -> dict:
        """A new access token for a signed-in session: send the refresh token from sign-in as
        `Authorization: Bearer <refresh_token>`. 401 once the session has ended (signed out, the
        account disabled or given a new password, or the shift's lifetime over): sign in again."""
        return _access(access.current_staff(refresh=True))  # an ended session: see `session_ended`


@blp.route("/logout")
class Logout(MethodView):
    @access.public("the refresh token is the key here, checked below, not an access token")
    @blp.doc(security=BEARER)
    @blp.response(204)
    def post(self) -> None:
        """Sign out: send the refresh token as `Authorization: Bearer <refresh_token>`; it stops
        working at once (signing out again does no harm). Other sessions of the account go on."""
        token = access.bearer_token()
        if token is None:
            raise Unauthorized("send the refresh token from sign-in", field="Authorization")
        claims = decode_token(token)  # signature and expiry; ended or not, it may end
        if claims.get("type") != "refresh":
            raise Unauthorized("sign out with the refresh token, not the access token", field="Authorization")
        staff_sessions.end(db.session, claims["jti"], now())
        commit()


def _access(user: StaffUser) -> dict:
    expires = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    token = create_access_token(identity=str(user.id), additional_claims={"role": user.role.value})
    return {"access_token": token, "expires_in": int(expires.total_seconds())}


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

    @jwt.token_in_blocklist_loader
    def session_ended(_header: dict, payload: dict) -> bool:
        return payload.get("type") == "refresh" and not staff_sessions.live(db.session, payload["jti"])

    @jwt.revoked_token_loader
    def revoked(_header: dict, _payload: dict):
        return problem(401, "this session has ended; sign in again", headers={"WWW-Authenticate": "Bearer"})
