"""Counting the SQL statements a request sends, to catch per-row queries (N+1) in tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event


@dataclass
class Statements:
    """The statements sent while counting (SELECTs and writes; not BEGIN/COMMIT)."""

    sql: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sql)

    def __str__(self) -> str:
        return "\n".join(f"{i + 1}. {s[:300]}" for i, s in enumerate(self.sql))


@contextmanager
def counting(engine: sa.Engine) -> Iterator[Statements]:
    """Record every statement `engine` executes inside the block (all threads)."""
    seen = Statements()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.sql.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def statements(request: Callable[[], object]) -> Statements:
    """The statements one request sends, from a fresh session (as a new request in production)."""
    from api.extensions import db

    db.session.remove()
    with counting(db.engine) as seen:
        request()
    return seen
