"""Catalog versions in the database: load a new one, read the active one.

Parsed catalogs are cached per version string: a version's document never changes once
stored, so every process can cache it safely.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.catalog.loading import CatalogError, parse_catalog
from navigation.catalog.model import Catalog
from navigation.errors import Conflict, DomainError
from navigation.models import CatalogVersion


def install_catalog(session: Session, document: Any) -> CatalogVersion:
    """Validate and activate a catalog document; the old version stays on record."""
    try:
        catalog = parse_catalog(document)
    except CatalogError as exc:
        raise DomainError("the exam catalog is invalid", errors=exc.errors) from exc
    existing = session.scalar(sa.select(CatalogVersion).where(CatalogVersion.version == catalog.version))
    if existing is not None and existing.document != document:
        raise Conflict(
            f"catalog version {catalog.version} is already loaded with other content; give it a new version",
            field="version",
        )
    session.execute(sa.update(CatalogVersion).values(active=False))
    row = existing or CatalogVersion(version=catalog.version, document=document)
    row.active = True
    session.add(row)
    session.flush()
    return row


def active_version(session: Session) -> sa.Row[tuple[str, datetime]]:
    """The active catalog's version and load time, not its document: every check-in asks, and
    reading the document meant parsing the whole catalog's JSON each time."""
    row = session.execute(
        sa.select(CatalogVersion.version, CatalogVersion.loaded_at).where(CatalogVersion.active)
    ).first()
    if row is None:
        raise DomainError("no exam catalog is loaded; an admin must load one first")
    return row


def active_document(session: Session) -> dict[str, Any]:
    """The active catalog as loaded (JSON), for building a site's variant on it."""
    document = session.scalar(sa.select(CatalogVersion.document).where(CatalogVersion.active))
    if document is None:
        raise DomainError("no exam catalog is loaded; an admin must load one first")
    return document


def active_catalog(session: Session) -> Catalog:
    version, loaded_at = active_version(session)
    return parsed(session, version, loaded_at)


_parsed: dict[tuple[str, object], Catalog] = {}


def catalog_version(session: Session, version: str) -> Catalog:
    """The catalog a journey was planned with."""
    loaded_at = session.scalar(sa.select(CatalogVersion.loaded_at).where(CatalogVersion.version == version))
    if loaded_at is None:
        raise DomainError(f"catalog version {version} is not loaded")
    return parsed(session, version, loaded_at)


def parsed(session: Session, version: str, loaded_at: datetime) -> Catalog:
    """A stored version never changes, so each process keeps it parsed, keyed by version and
    load time (a reloaded database cannot serve a stale one)."""
    key = (version, loaded_at)
    if key not in _parsed:
        document = session.scalar(sa.select(CatalogVersion.document).where(CatalogVersion.version == version))
        _parsed[key] = parse_catalog(document)
    return _parsed[key]
