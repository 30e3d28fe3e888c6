"""A site's building map and the closures staff put on it (corridors, doors, elevators)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from navigation.models.base import Base, utcnow


class SiteMapRecord(Base):
    """The current map of a site, in CarePath's JSON map format (IMDF imports are converted).

    `version` changes with every new map and `closures_version` with every closure, so each
    process can tell with one small query whether its cached router is still current.
    """

    __tablename__ = "site_map"
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)
    document: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(sa.String(16))  # carepath | imdf
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)
    closures_version: Mapped[int] = mapped_column(default=0)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Closure(Base):
    __tablename__ = "closure"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    target_kind: Mapped[str] = mapped_column(sa.String(8))  # edge | node
    target_id: Mapped[str] = mapped_column(sa.String(128))
    reason: Mapped[str] = mapped_column(sa.String(400))
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_user.id", ondelete="SET NULL"))
    reopened_at: Mapped[datetime | None]
    reopened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_user.id", ondelete="SET NULL"))
