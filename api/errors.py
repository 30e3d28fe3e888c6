"""One JSON error shape for every failure: {code, status, message, errors: {location: {field: [..]}}}."""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Flask, jsonify
from flask_smorest import Api
from flask_smorest.error_handler import ErrorSchema
from marshmallow import fields
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from api.request_guard import storable_text
from navigation.errors import DomainError

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5  # long enough for a database restart or a burst to pass


def problem(code: int, message: str, errors: dict | None = None, headers: dict | None = None):
    body = {"code": code, "status": HTTP_STATUS_CODES.get(code, "Error"), "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class ProblemSchema(ErrorSchema):
    """The one error shape, as the OpenAPI document shows it."""

    current = fields.Dict(
        metadata={"description": "Only on a 409 after a stale If-Match: the record as it is now"}
    )


class ProblemApi(Api):
    """flask-smorest's handler, keeping werkzeug's headers (Allow on 405) and always a message;
    and a document that says which text the request guard refuses."""

    ERROR_SCHEMA = ProblemSchema

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        super().init_app(app, *args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(storable_text)

    def handle_http_exception(self, error: HTTPException):
        payload, code, headers = super().handle_http_exception(error)
        merged = dict(error.get_headers())
        merged.pop("Content-Type", None)
        merged.update(headers or {})
        message = payload.get("message") or (
            "The request is invalid" if "errors" in payload else error.description or error.name
        )
        return problem(code, message, payload.get("errors"), merged)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        errors = {"json": error.errors} if error.errors else None
        return problem(error.status, error.message, errors, getattr(error, "headers", None))

    @app.errorhandler(StaleDataError)
    def stale(_: StaleDataError):
        return problem(409, "someone else changed this record at the same time; reload and try again")

    @app.errorhandler(IntegrityError)
    def integrity(_: IntegrityError):
        return problem(409, "the change conflicts with existing data")

    @app.errorhandler(redis.RedisError)
    def redis_unavailable(error: redis.RedisError):
        """Only what needs Redis to answer at all (opening a live stream) gets here: committed
        changes never do (see navigation/aftercommit.py)."""
        logger.warning("Redis unavailable: %s", error)
        return problem(
            503,
            "live updates are not available just now; the page reloads by itself",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeoutError)
    def database_unavailable(error: Exception):
        """Database stopped, restarting, too slow or every connection busy: ask to retry soon."""
        logger.warning("database unavailable: %s", str(error).splitlines()[0])
        return problem(
            503,
            "the database is not available just now; try again in a few seconds",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
