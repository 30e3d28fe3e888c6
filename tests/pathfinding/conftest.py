"""Shared fixtures: the demo hospital, a small synthetic one, the public IMDF archive."""

from __future__ import annotations

from pathlib import Path

import pytest

from pathfinding import Router, SiteMap, load_map, synthetic_hospital

REPO = Path(__file__).parents[2]
DEMO_MAP = REPO / "navigation" / "demo" / "map.json"
DEMO_ROOMS = REPO / "navigation" / "demo" / "hospital.json"
SHARED_DATA = Path(__file__).parents[2] / ".." / "shared" / "data"
CAMPUS = SHARED_DATA / "imdf-polymap-campus"


@pytest.fixture(scope="session")
def demo_site() -> SiteMap:
    site, _ = load_map(DEMO_MAP)
    return site


@pytest.fixture
def demo_router(demo_site: SiteMap) -> Router:
    return Router(demo_site)


@pytest.fixture(scope="session")
def small_site() -> SiteMap:
    return synthetic_hospital(buildings=2, floors=3, grid=(4, 3), rooms_per_floor=3, seed=3)


@pytest.fixture(scope="session")
def campus_dir() -> Path:
    if not CAMPUS.is_dir():
        pytest.skip("../shared/data/imdf-polymap-campus is not available here")
    return CAMPUS
