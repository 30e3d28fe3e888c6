"""The demo hospital: site, rooms, catalog and staff accounts, so `carepath demo` runs at once."""

from __future__ import annotations

import json
from importlib import resources

from sqlalchemy.orm import Session

from navigation.catalog.loading import demo_catalog_document
from navigation.catalog.store import install_catalog
from navigation.catalog.variants import set_variant
from navigation.hospital import load_hospital
from navigation.integration.code_store import replace_mappings
from navigation.integration.codes import read_csv
from navigation.models import Role, Site
from navigation.routing import install_map
from navigation.staff import create_user, find_user

DEMO_PASSWORD = "demo"
# username -> role; `regional` works across sites, the others at the demo site
DEMO_STAFF = {
    "reception": Role.RECEPTION,
    "nurse": Role.NURSE,
    "admin": Role.ADMIN,
    "interface": Role.INTERFACE,
    "regional": Role.REGIONAL_ADMIN,
}


def _demo_text(name: str) -> str:
    return resources.files("navigation.demo").joinpath(name).read_text("utf-8")


def _demo_file(name: str) -> dict:
    return json.loads(_demo_text(name))


def hospital_document() -> dict:
    return _demo_file("hospital.json")


def load_demo(session: Session) -> Site:
    """Idempotent: running it again updates the demo in place. Staff accounts are created once;
    a password someone changed since is left alone."""
    site = load_hospital(session, hospital_document())
    install_catalog(session, demo_catalog_document())
    install_map(session, site, _demo_file("map.json"))
    replace_mappings(session, site, read_csv(_demo_text("code_mapping.csv")))
    for username, role in DEMO_STAFF.items():
        if find_user(session, username) is None:
            site_id = None if role == Role.REGIONAL_ADMIN else site.id
            create_user(session, username, DEMO_PASSWORD, role, site_id, f"Demo {role.value}")
    load_second_hospital(session)
    return site


def load_second_hospital(session: Session) -> Site:
    """A smaller hospital in the same deployment: its own building and map, a catalog variant
    (slower CT, ultrasound and ECG), the demo's LOINC table, and staff of its own
    (`reception-riverside`, `nurse-riverside`, `admin-riverside`) who see only its patients."""
    site = load_hospital(session, _demo_file("riverside_hospital.json"))
    install_map(session, site, _demo_file("riverside_map.json"))
    set_variant(session, site, _demo_file("riverside_catalog_variant.json"))
    replace_mappings(session, site, read_csv(_demo_text("code_mapping.csv")))
    for role in (Role.RECEPTION, Role.NURSE, Role.ADMIN):
        username = f"{role.value}-{site.code}"
        if find_user(session, username) is None:
            create_user(session, username, DEMO_PASSWORD, role, site.id, f"Riverside {role.value}")
    return site
