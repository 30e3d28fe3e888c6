"""Probes and an unreachable database: `/readyz` says what is missing, and requests that need
the database answer 503 with Retry-After in the one error shape, quickly, instead of 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from api.config import engine_options, from_environment
from api.health import migration_head
from tests.conftest import free_port
from tests.timing import pause


@pytest.fixture
def other_app(app):
    """Another app on the same database, configured as a test asks."""
    from api import create_app
    from api.extensions import db

    made = []

    def _make(**config):
        base = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "JWT_SECRET_KEY")}
        made.append(create_app({**base, "TESTING": True, "RATELIMIT_ENABLED": False, **config}))
        return made[-1]

    yield _make
    for other in made:
        with other.app_context():
            db.engine.dispose()


def test_readyz_reports_a_schema_behind_the_code_then_ready_without_redis(app, other_app):
    from api.extensions import db

    probe = other_app(REDIS_URL=None).test_client()
    behind = probe.get("/readyz")
    assert behind.status_code == 503
    assert behind.json["database"] == "ok" and behind.json["redis"] == "not_configured"
    assert behind.json["migration"] == {"current": None, "head": migration_head()}

    with db.engine.begin() as conn:  # as `carepath db upgrade` would leave it
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": migration_head()})
    try:
        ready = probe.get("/readyz")
        assert ready.status_code == 200, ready.json
        assert ready.json == {
            "status": "ready",
            "database": "ok",
            "redis": "not_configured",
            "migration": {"current": migration_head(), "head": migration_head()},
        }
        gone = other_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client().get("/readyz")
        assert gone.status_code == 503 and gone.json["redis"] == "unavailable"
    finally:
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE alembic_version"))
    assert probe.get("/healthz").json == {"status": "ok"}  # liveness is unchanged


def test_an_unreachable_database_answers_503_with_retry_after(other_app):
    down = other_app(
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/carepath",
        REDIS_URL=None,
    ).test_client()

    signed_in = down.post("/api/v1/auth/login", json={"username": "nurse", "password": "demo"})

    assert signed_in.status_code == 503
    assert signed_in.headers["Retry-After"] == "5"
    assert signed_in.json["code"] == 503 and "try again" in signed_in.json["message"]
    ready = down.get("/readyz")
    assert ready.status_code == 503 and ready.json["database"] == "unavailable"


def test_postgresql_gets_connect_and_statement_timeouts_and_a_pool_wait_of_at_least_10_s(tmp_path):
    config = from_environment(
        str(tmp_path),
        {"DATABASE_URL": "postgresql+psycopg://db/carepath", "CAREPATH_DB_POOL_TIMEOUT_S": "2"},
    )
    options = engine_options(config)
    assert options["pool_timeout"] == 10  # a burst queues for a connection rather than fails
    assert options["connect_args"]["connect_timeout"] == 5
    assert "statement_timeout=15000" in options["connect_args"]["options"]
    assert options["hide_parameters"]  # no patient's name or MRN from a failed statement in the logs
    sqlite = {"pool_pre_ping": True, "hide_parameters": True}
    assert engine_options(from_environment(str(tmp_path), {})) == sqlite


def test_every_connection_busy_answers_503_after_the_pool_wait_not_500(other_app, database_url):
    from api.extensions import db

    busy = other_app(
        REDIS_URL=None,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.5},
    )
    with busy.app_context():
        held = db.engine.connect()  # the one connection, taken by a long request
        try:
            response = busy.test_client().post(
                "/api/v1/auth/login", json={"username": "nurse", "password": "demo"}
            )
        finally:
            held.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert (
        busy.test_client()
        .post("/api/v1/auth/login", json={"username": "nurse", "password": "demo"})
        .status_code
        == 200
    )


def test_a_burst_wider_than_the_pool_waits_for_a_connection_and_opens_no_more(other_app, database_url):
    """PostgreSQL sees at most the pool's connections from a process: a request finding them all
    busy waits its turn instead of opening (and, once done, closing) one more."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no pool of connections to size")
    from api.extensions import db

    busy = other_app(REDIS_URL=None)
    with busy.app_context():
        engine = db.engine
    held = [engine.connect() for _ in range(busy.config["DB_POOL_SIZE"])]
    try:
        with ThreadPoolExecutor(max_workers=1) as runner:
            answer = runner.submit(lambda: busy.test_client().get("/healthz"))
            pause(1.0)
            assert not answer.done() and engine.pool.checkedout() == len(held)  # it waits its turn
            held.pop().close()
            assert answer.result(timeout=10).status_code == 200  # and is answered on the freed one
        assert engine.pool.checkedout() == len(held)
    finally:
        for connection in held:
            connection.close()
