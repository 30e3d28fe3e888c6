"""Shared fixtures: a database (SQLite file, or a fresh PostgreSQL database when DATABASE_URL
points at a server), the app on it with the demo hospital, clients signed in per role."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from navigation.models import Base
from notifications import NotificationsBase
from tests.timing import sleep_through_faketime

TABLES = [*Base.metadata.sorted_tables, *NotificationsBase.metadata.sorted_tables]

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
sleep_through_faketime()

T0 = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)  # 08:30 in the demo hospital (Asia/Shanghai)

BACKGROUND_THREADS = ("carepath-dispatcher", "carepath-improver")


@pytest.hookimpl(trylast=True)  # after pytest's own grouping by fixtures
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last. Playwright's sync API keeps an asyncio loop running in the main
    thread for as long as the session's Chromium lives, and firebase-admin closes its HTTP
    client with `asyncio.run`, which refuses to start inside a running loop: FCM tests after
    the first browser test failed at teardown."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def no_background_thread_outlives_its_test() -> Iterator[None]:
    """A dispatcher or plan improver left running works on by the real clock, on whatever
    database it was given: it once expired another test's messages. A test that starts one
    stops it (an app that should not start them: CAREPATH_INPROCESS_WORKER = False)."""
    before = set(threading.enumerate())
    yield
    left = [t.name for t in set(threading.enumerate()) - before if t.name in BACKGROUND_THREADS]
    assert not left, f"background threads left running: {left}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private database for this test run, so concurrent runs never see each other's rows."""
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgresql"):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'carepath.sqlite'}"
        return
    name = f"carepath_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Clock:
    """A hand-moved clock: tests step time forward instead of sleeping."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture(scope="session")
def _app(database_url: str, tmp_path_factory: pytest.TempPathFactory):
    from api import create_app
    from api.extensions import db
    from navigation.demo import load_demo

    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "JWT_SECRET_KEY": "test-jwt-secret-that-is-long-enough-for-hs256",
            "RATELIMIT_ENABLED": False,
            "PUBLIC_BASE_URL": "https://carepath.test",
        }
    )
    app.instance_path = str(instance)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        NotificationsBase.metadata.create_all(db.engine)
        load_demo(db.session)
        db.session.commit()
        snapshot = _snapshot(db.engine)
    yield app, snapshot
    with app.app_context():
        db.engine.dispose()


def _snapshot(engine: sa.Engine) -> dict[str, list[dict]]:
    with engine.connect() as conn:
        return {t.name: [dict(r._mapping) for r in conn.execute(t.select())] for t in TABLES}


def _restore(engine: sa.Engine, snapshot: dict[str, list[dict]]) -> None:
    with engine.begin() as conn:
        for table in reversed(TABLES):
            conn.execute(table.delete())
        for table in TABLES:
            if snapshot[table.name]:
                conn.execute(table.insert(), snapshot[table.name])


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def app(_app, clock: Clock):
    """The app with the demo hospital; every test starts from the same rows."""
    from api.extensions import db
    from api.freshness import forget
    from navigation.routing import forget_routers

    flask_app, snapshot = _app
    flask_app.config["CLOCK"] = clock
    with flask_app.app_context():
        yield flask_app
        db.session.remove()
        _restore(db.engine, snapshot)
        # The restored rows repeat map and closure versions already seen: forget what was
        # cached under them (production versions only ever grow).
        forget(flask_app)
        forget_routers()


@pytest.fixture
def session(app):
    from api.extensions import db

    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


def _login(client, username: str, password: str = "demo") -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


@pytest.fixture
def reception(client) -> dict[str, str]:
    return _login(client, "reception")


@pytest.fixture
def nurse(client) -> dict[str, str]:
    return _login(client, "nurse")


@pytest.fixture
def admin(client) -> dict[str, str]:
    return _login(client, "admin")


@pytest.fixture
def regional_admin(client) -> dict[str, str]:
    return _login(client, "regional")


NORTH_HOSPITAL = {
    "site": {"code": "north", "name_en": "North Campus", "name_zh": "北院", "timezone": "Asia/Shanghai"},
    "buildings": [
        {
            "code": "N",
            "name_en": "North Building",
            "name_zh": "北楼",
            "floors": [{"name": "1F", "ordinal": 1}],
        }
    ],
    "rooms": [
        {
            "code": "N1-01",
            "name_en": "Cashier",
            "name_zh": "收费处",
            "type": "cashier",
            "building": "N",
            "floor": "1F",
        },
        {
            "code": "N1-02",
            "name_en": "ECG",
            "name_zh": "心电图室",
            "type": "ecg",
            "building": "N",
            "floor": "1F",
        },
    ],
}
NORTH_PASSWORD = "north-campus-staff-pw-1"


@pytest.fixture
def north(app, client) -> dict[str, dict[str, str]]:
    """A second, small site with its own admin and nurse; returns their signed-in headers."""
    from api.extensions import db
    from navigation.hospital import load_hospital
    from navigation.models import Role
    from navigation.staff import create_user

    site = load_hospital(db.session, NORTH_HOSPITAL)
    for role in (Role.ADMIN, Role.NURSE):
        create_user(db.session, f"north-{role.value}", NORTH_PASSWORD, role, site.id)
    db.session.commit()
    return {role: _login(client, f"north-{role}", NORTH_PASSWORD) for role in ("admin", "nurse")}


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens now (a connection there is refused at once)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_in_body(*codes: str, visit: str = "V0001", mrn: str = "MRN001", **patient) -> dict:
    return {
        "visit_number": visit,
        "patient": {"mrn": mrn, "name": "Li Wei", "language": "zh", "mobility": "walking", **patient},
        "orders": [{"code": c} for c in codes],
    }


@pytest.fixture
def check_in(client, reception):
    """Check a patient in through the API; returns the journey JSON."""

    def _check_in(*codes: str, expect: int = 201, headers: dict | None = None, **kwargs) -> dict:
        response = client.post(
            "/api/v1/journeys", json=check_in_body(*codes, **kwargs), headers={**reception, **(headers or {})}
        )
        assert response.status_code == expect, response.json
        return response.json

    return _check_in


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on 127.0.0.1, for the browser."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (Playwright's own browser download cannot work here)."""
    import shutil

    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield TestToolsBrowser(browser)
        browser.close()


class TestToolsBrowser:
    """The browser, whose contexts let test tools (wait_for_function, axe) run scripts the pages'
    Content-Security-Policy refuses; `new_context(bypass_csp=False)` enforces it
    (tests/test_browser_protection.py)."""

    def __init__(self, browser):
        self.browser = browser

    def new_context(self, **options):
        options.setdefault("bypass_csp", True)
        return self.browser.new_context(**options)

    def __getattr__(self, name: str):
        return getattr(self.browser, name)


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def double_bookings(session) -> list[tuple]:
    """Overlapping planned steps still to come in one-station rooms (there must be none)."""
    from navigation.models import Room, Task, TaskStatus

    session.expire_all()
    single = [r.id for r in session.query(Room).filter_by(stations=1)]
    to_come = [TaskStatus.REQUESTED, TaskStatus.READY, TaskStatus.ON_HOLD]
    booked: dict[int, list] = {}
    steps = session.query(Task).filter(
        Task.planned_room_id.in_(single), Task.planned_start.is_not(None), Task.status.in_(to_come)
    )
    for t in steps:
        if not t.self_service:
            booked.setdefault(t.planned_room_id, []).append((t.planned_start, t.planned_end, t.id))
    clashes = []
    for slots in booked.values():
        slots.sort()
        clashes += [(a, b) for a, b in zip(slots, slots[1:], strict=False) if b[0] < a[1]]
    return clashes
