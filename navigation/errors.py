"""Errors the journey domain raises; the API turns each into a 4xx with one JSON shape."""

from __future__ import annotations


class DomainError(Exception):
    """A request the hospital's rules refuse. `field` names the input at fault, if any."""

    status = 422

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or ({field: [message]} if field else {})


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """The resource is in a state that does not allow the change (illegal transition, stale version)."""

    status = 409


class Forbidden(DomainError):
    status = 403
