"""The hospital a journey runs in: sites, buildings, floors and the rooms that perform exams."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from navigation.models.base import Base, str_enum

if TYPE_CHECKING:
    from navigation.models.journey import Task


class RoomStatus(enum.StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class Site(Base):
    __tablename__ = "site"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(200))
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    improved_at: Mapped[datetime | None]  # last background improvement (any process)
    # Bumped by every load of the site document (names, floors, hours): patients' ETags change.
    places_version: Mapped[int] = mapped_column(default=0)
    buildings: Mapped[list[Building]] = relationship(back_populates="site", order_by="Building.code")

    def hhmm(self, at: datetime) -> str:
        """A time as the hospital's clocks show it: staff and patients never read UTC."""
        return at.astimezone(ZoneInfo(self.timezone)).strftime("%H:%M")


class Building(Base):
    __tablename__ = "building"
    __table_args__ = (sa.UniqueConstraint("site_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    site: Mapped[Site] = relationship(back_populates="buildings")
    floors: Mapped[list[Floor]] = relationship(back_populates="building", order_by="Floor.ordinal")


class Floor(Base):
    __tablename__ = "floor"
    __table_args__ = (sa.UniqueConstraint("building_id", "ordinal"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("building.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(32))
    ordinal: Mapped[int]
    building: Mapped[Building] = relationship(back_populates="floors")


class Room(Base):
    """A place that serves patients. `exam_codes` narrows what it performs; null means all of its type.
    `department` is the clinic's department: a return visit goes to its ordering department."""

    __tablename__ = "room"
    __table_args__ = (sa.UniqueConstraint("site_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    floor_id: Mapped[int] = mapped_column(sa.ForeignKey("floor.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    room_type: Mapped[str] = mapped_column(sa.String(32), index=True)
    stations: Mapped[int] = mapped_column(default=1)
    hours: Mapped[list[Any]] = mapped_column(default=list)
    exam_codes: Mapped[list[Any] | None] = mapped_column(default=None)
    department: Mapped[str | None] = mapped_column(sa.String(32))
    status: Mapped[RoomStatus] = mapped_column(str_enum(RoomStatus, "room_status"), default=RoomStatus.OPEN)
    floor: Mapped[Floor] = relationship()

    def performs(self, room_types: tuple[str, ...], exam_codes: tuple[str, ...]) -> bool:
        if self.room_type not in room_types:
            return False
        return self.exam_codes is None or all(c in self.exam_codes for c in exam_codes)

    def serves(self, task: Task) -> bool:
        """Whether this room can take the step: its type and exams, and for a return visit
        bound to a department, that department's clinic."""
        if task.department is not None and self.department != task.department:
            return False
        return self.performs(tuple(task.room_types), tuple(task.exam_codes))
