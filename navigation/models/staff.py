"""Staff accounts, the audit trail of their actions, and idempotency keys for retried requests."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from navigation.models.base import Base, str_enum, utcnow


class Role(enum.StrEnum):
    RECEPTION = "reception"
    NURSE = "nurse"
    ADMIN = "admin"
    INTERFACE = "interface"  # a system account (HIS/LIS feed): posts orders, nothing else
    REGIONAL_ADMIN = "regional_admin"  # hospital group IT: configuration of every site


class StaffUser(Base):
    __tablename__ = "staff_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)


class StaffSession(Base):
    """A signed-in staff session, named by its refresh token's id (navigation/staff_sessions.py)."""

    __tablename__ = "staff_session"
    token_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]


class LoginFailure(Base):
    """Failed sign-ins of one account from one address (navigation/sign_in.py)."""

    __tablename__ = "login_failure"
    username: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int]
    last_failure_at: Mapped[datetime]


class AuditRecord(Base):
    """Who did what to which record, when (HIPAA 164.312(b)); appended, never updated."""

    __tablename__ = "audit_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(64))
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site.id", ondelete="SET NULL"))
    patient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("patient.id", ondelete="SET NULL"), index=True
    )
    target_type: Mapped[str] = mapped_column(sa.String(32))
    target_id: Mapped[str] = mapped_column(sa.String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CatalogVersion(Base):
    """Every catalog ever loaded; exactly one is active. Journeys record the version they used."""

    __tablename__ = "catalog_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(64), unique=True)
    document: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(default=False, index=True)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKey(Base):
    """A client's retry key, kept in the database so it holds across processes."""

    __tablename__ = "idempotency_key"
    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    actor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True
    )
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journey.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SiteCatalog(Base):
    """A site's variant of the shared catalog: its own durations and rules for some exams and
    services, applied over whichever base version is active."""

    __tablename__ = "site_catalog"
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)
    overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
