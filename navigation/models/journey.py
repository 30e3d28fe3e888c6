"""A patient's visit and its medical task list, with every state change kept as history."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from navigation.models.base import Base, str_enum, utcnow
from navigation.models.hospital import Room, Site

if TYPE_CHECKING:
    from navigation.models.integration import JourneyOrder


class Language(enum.StrEnum):
    ZH = "zh"
    EN = "en"


class Mobility(enum.StrEnum):
    WALKING = "walking"
    SLOW = "slow"
    WHEELCHAIR = "wheelchair"


class JourneyStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TaskStatus(enum.StrEnum):
    """FHIR R4 Task.status, the subset a hospital day uses."""

    REQUESTED = "requested"
    READY = "ready"
    IN_PROGRESS = "in-progress"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Patient(Base):
    __tablename__ = "patient"
    __table_args__ = (sa.UniqueConstraint("site_id", "mrn"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    mrn: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    language: Mapped[Language] = mapped_column(str_enum(Language, "language"))
    mobility: Mapped[Mobility] = mapped_column(str_enum(Mobility, "mobility"))


class Journey(Base):
    __tablename__ = "journey"
    __table_args__ = (sa.UniqueConstraint("site_id", "visit_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    visit_number: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[JourneyStatus] = mapped_column(
        str_enum(JourneyStatus, "journey_status"), default=JourneyStatus.ACTIVE
    )
    priority: Mapped[int] = mapped_column(default=0)
    token_salt: Mapped[str] = mapped_column(sa.String(32))
    replaced_salts: Mapped[list[Any]] = mapped_column(default=list)  # links replaced (navigation/access.py)
    catalog_version: Mapped[str] = mapped_column(sa.String(64))
    last_meal_at: Mapped[datetime | None]
    # Last meal unknown: fasting exams are planned only if the patient confirms fasting overnight.
    fasting_confirmed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_user.id", ondelete="SET NULL"))
    site: Mapped[Site] = relationship()
    patient: Mapped[Patient] = relationship()
    tasks: Mapped[list[Task]] = relationship(back_populates="journey", order_by="Task.position")
    dependencies: Mapped[list[TaskDependency]] = relationship(back_populates="journey")
    orders: Mapped[list[JourneyOrder]] = relationship(order_by="JourneyOrder.id")


class Task(Base):
    """One step of the task list. `version` guards concurrent edits (If-Match)."""

    __tablename__ = "task"
    __table_args__ = (sa.UniqueConstraint("journey_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journey.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    key: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    exam_codes: Mapped[list[Any]] = mapped_column(default=list)
    name_en: Mapped[str] = mapped_column(sa.String(400))
    name_zh: Mapped[str] = mapped_column(sa.String(400))
    room_types: Mapped[list[Any]] = mapped_column(default=list)
    duration_min: Mapped[int]
    room_durations: Mapped[dict[str, Any]] = mapped_column(default=dict)  # room type -> minutes
    fasting_hours: Mapped[float] = mapped_column(default=0.0)
    full_bladder: Mapped[bool] = mapped_column(default=False)
    self_service: Mapped[bool] = mapped_column(default=False)
    department: Mapped[str | None] = mapped_column(sa.String(32))  # a return visit: to this department
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus, "task_status"), index=True)
    business_status: Mapped[str | None] = mapped_column(sa.String(16))
    status_reason: Mapped[str | None] = mapped_column(sa.String(400))  # staff's words
    # the same, as a category the patient's page translates (navigation/patient_reasons.py)
    status_category: Mapped[str | None] = mapped_column(sa.String(16))
    not_before: Mapped[datetime | None]
    planned_start: Mapped[datetime | None]
    planned_end: Mapped[datetime | None]
    planned_room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room.id", ondelete="SET NULL"))
    planned_station: Mapped[int | None]  # which of the room's parallel stations (desk) the plan uses
    plan_note: Mapped[str | None] = mapped_column(sa.String(400))  # why the plan cannot fit it in today
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # when this exam's results (its report) exist: marked by staff, or in the demo when due
    result_ready_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    journey: Mapped[Journey] = relationship(back_populates="tasks")
    planned_room: Mapped[Room | None] = relationship()
    # written on every change of status, read only for history: adding one must not load them all
    transitions: WriteOnlyMapped[TaskTransition] = relationship(
        order_by="TaskTransition.id",
        passive_deletes=True,  # the database deletes them with the step
    )

    __mapper_args__ = {"version_id_col": version}


class TaskDependency(Base):
    __tablename__ = "task_dependency"
    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journey.id", ondelete="CASCADE"), index=True)
    before_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"))
    after_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"))
    min_gap_min: Mapped[int] = mapped_column(default=0)
    max_gap_min: Mapped[int | None]
    reason: Mapped[str] = mapped_column(sa.String(200))
    hard: Mapped[bool] = mapped_column(default=False)  # a prerequisite, not only an order (steps.Dependency)
    journey: Mapped[Journey] = relationship(back_populates="dependencies")
    before: Mapped[Task] = relationship(foreign_keys=[before_id])
    after: Mapped[Task] = relationship(foreign_keys=[after_id])


class TaskTransition(Base):
    """History: every status change is a new row, never an overwrite."""

    __tablename__ = "task_transition"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16))
    business_status: Mapped[str | None] = mapped_column(sa.String(16))
    actor: Mapped[str] = mapped_column(sa.String(64))
    reason: Mapped[str | None] = mapped_column(sa.String(400))
    at: Mapped[datetime] = mapped_column(default=utcnow)
