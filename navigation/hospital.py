"""Load a hospital's buildings, floors and rooms from its site document (see docs/hospital.md)."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import event
from sqlalchemy.orm import Session

from navigation.catalog.loading import flatten_errors
from navigation.errors import DomainError
from navigation.models import Building, Floor, Room, RoomStatus, Site

HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")


class _FloorSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=32))
    ordinal = fields.Integer(required=True, validate=validate.Range(min=-10, max=200))


class _BuildingSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name_en = fields.String(required=True)
    name_zh = fields.String(required=True)
    floors = fields.List(fields.Nested(_FloorSchema), required=True, validate=validate.Length(min=1))


class _RoomSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name_en = fields.String(required=True)
    name_zh = fields.String(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=32))
    building = fields.String(required=True)
    floor = fields.String(required=True)
    stations = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))
    hours = fields.List(fields.String(validate=validate.Regexp(HOURS)), load_default=lambda: ["08:00-17:00"])
    exam_codes = fields.List(fields.String(), load_default=None)
    department = fields.String(load_default=None, validate=validate.Length(min=1, max=32))


class _SiteSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,31}$"))
    name_en = fields.String(required=True)
    name_zh = fields.String(required=True)
    timezone = fields.String(
        load_default="UTC",
        validate=lambda name: _known_timezone(name),
    )


def _known_timezone(name: str) -> None:
    """Every site time is read in this zone: an unknown name would fail each check-in later."""
    if name not in zoneinfo.available_timezones():
        raise ValidationError(f"{name!r} is not a time zone of the tz database (e.g. Asia/Shanghai)")


class HospitalDocumentSchema(Schema):
    site = fields.Nested(_SiteSchema, required=True)
    buildings = fields.List(fields.Nested(_BuildingSchema), required=True, validate=validate.Length(min=1))
    rooms = fields.List(fields.Nested(_RoomSchema), required=True)


def load_hospital(session: Session, document: Any) -> Site:
    """Create or update a site from its document; rooms not in the document are closed, not deleted."""
    try:
        data = HospitalDocumentSchema().load(document)
    except ValidationError as exc:
        raise DomainError("the hospital document is invalid", errors=flatten_errors(exc.messages)) from exc
    with _changes_to_places(session) as changed:
        site = session.scalar(sa.select(Site).where(Site.code == data["site"]["code"]))
        if site is None:
            site = Site(**data["site"])
            session.add(site)
        else:
            for key, value in data["site"].items():
                setattr(site, key, value)
        session.flush()
        floors = _load_buildings(session, site, data["buildings"])
        _load_rooms(session, site, data["rooms"], floors)
        session.flush()
    if changed:
        # Patients' pages show these names and hours: their next read must not be a 304. The
        # same document sent again changes nothing, and every phone keeps its answer.
        site.places_version += 1
        session.flush()
    return site


_PLACES = (Site, Building, Floor, Room)


@contextmanager
def _changes_to_places(session: Session) -> Iterator[list[bool]]:
    """Whether anything the site's places are made of was added or changed by the flushes
    inside the block: true (a non-empty list) once one was."""
    changed: list[bool] = []

    def before_flush(flushing: Session, _context: Any, _instances: Any) -> None:
        if any(isinstance(o, _PLACES) for o in flushing.new) or any(
            isinstance(o, _PLACES) and flushing.is_modified(o) for o in flushing.dirty
        ):
            changed.append(True)

    event.listen(session, "before_flush", before_flush)
    try:
        yield changed
    finally:
        event.remove(session, "before_flush", before_flush)


def _load_buildings(session: Session, site: Site, buildings: list[dict]) -> dict[tuple[str, str], Floor]:
    floors: dict[tuple[str, str], Floor] = {}
    existing = {b.code: b for b in site.buildings}
    for raw in buildings:
        building = existing.get(raw["code"]) or Building(site=site, code=raw["code"])
        building.name_en, building.name_zh = raw["name_en"], raw["name_zh"]
        session.add(building)
        by_ordinal = {f.ordinal: f for f in building.floors}
        for f in raw["floors"]:
            floor = by_ordinal.get(f["ordinal"]) or Floor(building=building, ordinal=f["ordinal"])
            floor.name = f["name"]
            session.add(floor)
            floors[(raw["code"], f["name"])] = floor
    session.flush()
    return floors


def _load_rooms(
    session: Session, site: Site, rooms: list[dict], floors: dict[tuple[str, str], Floor]
) -> None:
    errors: dict[str, list[str]] = {}
    existing = {r.code: r for r in session.scalars(sa.select(Room).where(Room.site_id == site.id))}
    seen = set()
    for i, raw in enumerate(rooms):
        floor = floors.get((raw["building"], raw["floor"]))
        if floor is None:
            errors[f"rooms.{i}.floor"] = [f"building {raw['building']} has no floor {raw['floor']}"]
            continue
        if raw["code"] in seen:
            errors[f"rooms.{i}.code"] = [f"duplicate room code {raw['code']}"]
            continue
        seen.add(raw["code"])
        room = existing.get(raw["code"]) or Room(site_id=site.id, code=raw["code"])
        room.floor_id = floor.id
        room.name_en, room.name_zh = raw["name_en"], raw["name_zh"]
        room.room_type, room.stations, room.hours = raw["type"], raw["stations"], raw["hours"]
        room.exam_codes, room.department = raw["exam_codes"], raw["department"]
        room.status = RoomStatus.OPEN if room.status == RoomStatus.CLOSED else room.status
        session.add(room)
    for code, room in existing.items():
        if code not in seen:
            room.status = RoomStatus.CLOSED
    if errors:
        raise DomainError("the hospital document is invalid", errors=errors)


def departments(session: Session) -> list[tuple[Site, list[str]]]:
    """Each site with its room types: the waiting-room screens there are to show."""
    rows = session.execute(
        sa.select(Site, Room.room_type).join(Room, Room.site_id == Site.id).distinct().order_by(Site.code)
    )
    found: dict[int, tuple[Site, list[str]]] = {}
    for site, room_type in rows:
        found.setdefault(site.id, (site, []))[1].append(room_type)
    return [(site, sorted(groups)) for site, groups in found.values()]
