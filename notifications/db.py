"""The notifications tables' own SQLAlchemy base, so they never reach into other packages.

Keeping a separate MetaData lets tests create just these tables and lets the migration own
them; there are no foreign keys to journeys or steps, only their ids.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class NotificationsBase(DeclarativeBase):
    pass


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Always aware UTC: SQLite forgets the zone, and comparing naive to aware raises."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; CarePath stores aware UTC only")
        value = value.astimezone(UTC)
        # SQLite compares datetimes as text: store every value in one naive-UTC spelling.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
