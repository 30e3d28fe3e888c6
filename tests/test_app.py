"""The service as IT meets it: configuration, health, OpenAPI docs, the CLI, migrations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from api.config import ConfigError, from_environment


def test_production_refuses_to_start_without_secrets(tmp_path):
    with pytest.raises(ConfigError) as error:
        from_environment(str(tmp_path), {"CAREPATH_ENV": "production", "DATABASE_URL": "postgresql://x/y"})
    assert "SECRET_KEY" in str(error.value) and "JWT_SECRET_KEY" in str(error.value)


def test_development_generates_and_keeps_secrets(tmp_path):
    first = from_environment(str(tmp_path), {})
    second = from_environment(str(tmp_path), {})
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) > 40
    assert first["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_health_and_openapi_document_and_offline_docs(client):
    assert client.get("/healthz").json == {"status": "ok"}
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/auth/login",
        "/api/v1/journeys",
        "/api/v1/journeys/{journey_id}",
        "/api/v1/catalog/exams",
    ):
        assert path in spec["paths"], path
    check_in = spec["paths"]["/api/v1/journeys"]["post"]
    assert check_in["requestBody"]["content"]["application/json"]["schema"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"/api/docs/assets/swagger-ui-bundle.js" in docs.data
    with client.get("/api/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and b"SwaggerUIBundle" in asset.data


def test_wrong_method_keeps_allow_header_and_error_shape(client):
    response = client.delete("/api/v1/catalog/exams")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.json["code"] == 405 and response.json["message"]


def test_wrong_password_is_401_in_the_common_shape(client):
    response = client.post("/api/v1/auth/login", json={"username": "reception", "password": "nope"})
    assert response.status_code == 401
    assert response.json["errors"]["json"] == {"password": ["wrong username or password"]}


def test_garbage_bearer_token_is_401_not_500(client):
    response = client.get("/api/v1/journeys/1", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401 and response.json["message"].startswith("invalid token")


def test_migrations_build_the_same_schema_as_the_models(tmp_path):
    """`carepath db upgrade` on an empty database leaves nothing for autogenerate to add."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    from api import create_app
    from navigation.models import Base
    from notifications.db import NotificationsBase

    url = f"sqlite:///{tmp_path / 'migrated.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "JWT_SECRET_KEY": "y" * 40})
    with app.app_context():
        upgrade()
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn), [Base.metadata, NotificationsBase.metadata]
            )
        engine.dispose()
    assert diff == []


def test_demo_command_prepares_the_database_without_serving(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from api.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.sqlite'}")
    result = CliRunner().invoke(main, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "Demo hospital 'demo' ready" in result.output
    again = CliRunner().invoke(main, ["demo", "--no-serve"])  # a second run upgrades in place
    assert again.exit_code == 0, again.output
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM room")) >= 40
        assert conn.scalar(sa.text("SELECT count(*) FROM building")) == 3  # two at demo, one at riverside
    engine.dispose()


def test_worker_burst_delivers_the_outbox_without_redis(tmp_path, monkeypatch):
    """`carepath worker` with no REDIS_URL runs the dispatcher itself (the embedded default)."""
    from click.testing import CliRunner

    from api.cli import main

    url = f"sqlite:///{tmp_path / 'worker.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert CliRunner().invoke(main, ["demo", "--no-serve"]).exit_code == 0
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO notification_devices (journey_id, channel, token, platform, registered_at) "
                "VALUES (1, 'fcm', 'phone-1', 'android', CURRENT_TIMESTAMP)"
            )
        )
    from notifications import Event, enqueue

    with sa.orm.Session(engine) as session:
        enqueue(session, 1, Event.PLAN_CHANGED, "zh")
        session.commit()
    result = CliRunner().invoke(main, ["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert "sent 1 message(s)" in result.output
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT status FROM notification_outbox")) == "delivered"
    engine.dispose()
