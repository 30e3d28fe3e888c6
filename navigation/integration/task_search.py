"""`GET /fhir/r4/Task?...`: the search parameters CarePath supports, checked, and the query."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from navigation.errors import DomainError
from navigation.integration.fhir_journey import EXAM_SYSTEM, JOURNEY_SYSTEM
from navigation.models import Journey, Task, TaskStatus

MAX_COUNT = 500
EXAM_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def _token(value: str, system: str) -> str:
    """A FHIR token `system|code` or a bare code; another system matches nothing we hold."""
    given, bar, code = value.rpartition("|")
    if bar and given and given != system:
        raise DomainError(f"unknown system {given!r}; use {system}", field=value)
    return code


@dataclass(frozen=True)
class TaskQuery:
    site_id: int | None
    journey_id: int | None = None
    status: TaskStatus | None = None
    exam_code: str | None = None
    count: int = 100

    @classmethod
    def from_params(cls, params: Mapping[str, str], site_id: int | None) -> TaskQuery:
        unknown = sorted(set(params) - {"group-identifier", "status", "code", "_count"})
        if unknown:
            raise DomainError(f"unsupported search parameter {unknown[0]!r}", field=unknown[0])
        journey = _token(params["group-identifier"], JOURNEY_SYSTEM) if "group-identifier" in params else None
        if journey is not None and not (journey.isdigit() and len(journey) < 10):
            raise DomainError("group-identifier is a journey id", field="group-identifier")
        status = params.get("status")
        if status is not None and status not in {s.value for s in TaskStatus}:
            raise DomainError(f"unknown Task status {status!r}", field="status")
        count = params.get("_count", "100")
        if not count.isdigit() or not 1 <= int(count) <= MAX_COUNT:
            raise DomainError(f"_count is 1 to {MAX_COUNT}", field="_count")
        code = _token(params["code"], EXAM_SYSTEM) if "code" in params else None
        if code is not None and not EXAM_CODE.match(code):
            raise DomainError(f"{code!r} is not an exam code", field="code")
        return cls(
            site_id=site_id,
            journey_id=int(journey) if journey is not None else None,
            status=TaskStatus(status) if status else None,
            exam_code=code,
            count=int(count),
        )


def find_tasks(session: Session, query: TaskQuery) -> list[Task]:
    stmt = (
        sa.select(Task)
        .join(Journey)
        .options(selectinload(Task.journey).selectinload(Journey.orders))
        .order_by(Task.journey_id, Task.position)
    )
    if query.site_id is not None:
        stmt = stmt.where(Journey.site_id == query.site_id)
    if query.journey_id is not None:
        stmt = stmt.where(Task.journey_id == query.journey_id)
    if query.status is not None:
        stmt = stmt.where(Task.status == query.status)
    if query.exam_code is not None:  # a JSON list of codes: its text holds "CODE" with the quotes
        quoted = '"' + query.exam_code.replace("_", "\\_") + '"'
        stmt = stmt.where(sa.cast(Task.exam_codes, sa.String).like(f"%{quoted}%", escape="\\"))
    return list(session.scalars(stmt.limit(query.count)))
