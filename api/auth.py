"""Staff sign-in (JWTs), and flask-jwt-extended's errors in CarePath's one error shape."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import create_access_token
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api import access
from api.access import Unauthorized
from api.errors import problem
from api.extensions import db, jwt, limiter
from navigation.errors import Forbidden
from navigation.models import Site
from navigation.staff import authenticate, password_fit

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Staff sign-in")
BEARER = [{"bearerAuth": []}]


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

    @access.public("signing in")
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, body: dict) -> dict:
        """Sign in with a staff account; send the token as `Authorization: Bearer <token>`."""
        user = authenticate(db.session, body["username"], body["password"])
        if user is None:
            raise Unauthorized("wrong username or password", field="password")
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
