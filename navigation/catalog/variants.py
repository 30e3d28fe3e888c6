"""A site's catalog variant: the shared base catalog with the site's own durations and rules.

A small hospital's CT takes longer, its ultrasound needs no full bladder...: the site keeps only
what differs (`{"exam_types": {"CT-CHEST": {"duration_min": 20}}, "services": {...}}`). The
merged catalog is stored as a catalog version of its own (`<base>+<site>-<digest>`, never the
active one), so a journey records exactly what it was planned with, as with the base.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.catalog.loading import CatalogError, parse_catalog
from navigation.catalog.model import Catalog
from navigation.catalog.store import active_document, active_version, catalog_version, parsed
from navigation.errors import DomainError
from navigation.models import CatalogVersion, Site, SiteCatalog

SECTIONS = ("exam_types", "services")


def merged_document(base: dict[str, Any], overrides: dict[str, Any], version: str) -> dict[str, Any]:
    """The base document with the overridden fields of the named exams and services replaced."""
    unknown = sorted(set(overrides) - set(SECTIONS))
    if unknown:
        raise DomainError(f"a variant overrides only {' and '.join(SECTIONS)}", field=unknown[0])
    document = copy.deepcopy(base)
    document["version"] = version
    exams = {e["code"]: e for e in document["exam_types"]}
    for code, fields in (overrides.get("exam_types") or {}).items():
        if code not in exams:
            raise DomainError(f"unknown exam code {code!r}", field=f"exam_types.{code}")
        if not isinstance(fields, dict) or "code" in fields:
            raise DomainError("give the fields to change (not the code)", field=f"exam_types.{code}")
        exams[code].update(copy.deepcopy(fields))
    for name, fields in (overrides.get("services") or {}).items():
        if name not in document["services"] or not isinstance(fields, dict):
            raise DomainError(f"unknown service {name!r}", field=f"services.{name}")
        document["services"][name].update(copy.deepcopy(fields))
    return document


def _variant_version(base: str, site: Site, overrides: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(overrides, sort_keys=True).encode()).hexdigest()[:10]
    return f"{base[:40]}+{site.code[:12]}-{digest}"


def site_catalog(session: Session, site: Site) -> Catalog:
    """The catalog check-ins at this site use: the active base, with the site's variant if any."""
    base, loaded_at = active_version(session)
    variant = session.get(SiteCatalog, site.id)
    if variant is None or not variant.overrides:
        return parsed(session, base, loaded_at)
    version = _variant_version(base, site, variant.overrides)
    if session.scalar(sa.select(CatalogVersion.id).where(CatalogVersion.version == version)) is None:
        document = merged_document(active_document(session), variant.overrides, version)
        session.add(CatalogVersion(version=version, document=document, active=False))
        session.flush()
    return catalog_version(session, version)


def set_variant(session: Session, site: Site, overrides: dict[str, Any]) -> Catalog:
    """Replace the site's variant; refused whole if the merged catalog would be invalid."""
    if not isinstance(overrides, dict):
        raise DomainError("send the variant as a JSON object", field="body")
    try:
        parse_catalog(merged_document(active_document(session), overrides, "check"))
    except CatalogError as exc:
        raise DomainError("the catalog variant is invalid", errors=exc.errors) from exc
    row = session.get(SiteCatalog, site.id) or SiteCatalog(site_id=site.id)
    row.overrides = overrides
    session.add(row)
    session.flush()
    return site_catalog(session, site)
