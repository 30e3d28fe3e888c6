"""Staff accounts, the real way in: no demo in production, `carepath staff ...`, the admin API."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from api.cli import main

GOOD_PASSWORD = "a ward kettle sings at nine"


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    """A fresh SQLite database that the `carepath` commands use, with the demo loaded."""
    url = f"sqlite:///{tmp_path / 'carepath.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("CAREPATH_ENV", raising=False)
    result = CliRunner().invoke(main, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    return url


def _carepath(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin)


def _login(url: str, username: str, password: str, **config) -> int:
    from api import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
            "CAREPATH_INPROCESS_WORKER": False,
            **config,
        }
    )
    with app.test_client() as client:
        return client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        ).status_code


def test_the_demo_refuses_to_run_in_production(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'prod.sqlite'}"
    for name, value in {
        "CAREPATH_ENV": "production",
        "DATABASE_URL": url,
        "SECRET_KEY": "s" * 40,
        "JWT_SECRET_KEY": "j" * 40,
    }.items():
        monkeypatch.setenv(name, value)
    result = _carepath("demo", "--no-serve")
    assert result.exit_code != 0 and "refuses to run with CAREPATH_ENV=production" in result.output
    engine = sa.create_engine(url)
    assert "staff_user" not in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_running_the_demo_again_keeps_a_changed_password(database):
    assert _carepath("staff", "reset-password", "admin", stdin=f"{GOOD_PASSWORD}\n").exit_code == 0
    assert _carepath("demo", "--no-serve").exit_code == 0
    assert _login(database, "admin", "demo") == 401
    assert _login(database, "admin", GOOD_PASSWORD) == 200


def test_staff_create_reads_the_password_from_stdin_and_refuses_weak_ones(database):
    short = _carepath("staff", "create", "wang", "--site", "demo", "--role", "nurse", stdin="short\n")
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    common = _carepath("staff", "create", "wang", "--site", "demo", "--role", "nurse", stdin="password1234\n")
    assert common.exit_code != 0 and "too common" in common.output
    no_site = _carepath(
        "staff", "create", "wang", "--site", "nowhere", "--role", "nurse", stdin=f"{GOOD_PASSWORD}\n"
    )
    assert no_site.exit_code != 0 and "no site 'nowhere'" in no_site.output
    made = _carepath(
        "staff", "create", "wang", "--site", "demo", "--role", "nurse", stdin=f"{GOOD_PASSWORD}\n"
    )
    assert made.exit_code == 0, made.output
    assert _login(database, "wang", GOOD_PASSWORD) == 200
    assert "--password" not in _carepath("staff", "create", "--help").output


def test_a_disabled_account_cannot_sign_in(database):
    assert _carepath("staff", "disable", "nurse").exit_code == 0
    assert _login(database, "nurse", "demo") == 401
    assert _carepath("staff", "disable", "nobody").exit_code != 0


def test_production_refuses_a_demo_password_at_sign_in(database):
    production = {"CAREPATH_ENV": "production"}
    assert _login(database, "reception", "demo", **production) == 403
    assert _carepath("staff", "reset-password", "reception", stdin=f"{GOOD_PASSWORD}\n").exit_code == 0
    assert _login(database, "reception", GOOD_PASSWORD, **production) == 200


# ---- the admin API -------------------------------------------------------------------------


def _new(username: str, **extra) -> dict:
    return {"username": username, "role": "nurse", "password": GOOD_PASSWORD, **extra}


def test_an_admin_manages_the_accounts_of_their_own_site(client, admin, north):
    made = client.post("/api/v1/staff", json=_new("li-nurse"), headers=admin)
    assert made.status_code == 201 and made.json["site"] == "demo" and "password" not in made.json
    signed_in = client.post("/api/v1/auth/login", json={"username": "li-nurse", "password": GOOD_PASSWORD})
    token = {"Authorization": f"Bearer {signed_in.json['access_token']}"}
    assert client.get("/api/v1/queues/rooms", headers=token).status_code == 200

    listed = {u["username"] for u in client.get("/api/v1/staff", headers=admin).json}
    assert "li-nurse" in listed and "north-nurse" not in listed and "regional" not in listed

    disabled = client.patch("/api/v1/staff/li-nurse", json={"active": False}, headers=admin)
    assert disabled.status_code == 200 and disabled.json["active"] is False
    assert client.get("/api/v1/queues/rooms", headers=token).status_code == 401  # at once


def test_an_admin_cannot_reach_beyond_their_site_or_role(client, admin, north):
    elsewhere = client.post("/api/v1/staff", json=_new("x1", site="north"), headers=admin)
    assert elsewhere.status_code == 404
    regional = client.post("/api/v1/staff", json=_new("x2", role="regional_admin"), headers=admin)
    assert regional.status_code == 403
    weak = client.post("/api/v1/staff", json=_new("x3", password="demo"), headers=admin)
    assert weak.status_code == 422 and "password" in weak.json["errors"]["json"]
    assert client.patch("/api/v1/staff/north-nurse", json={"active": False}, headers=admin).status_code == 404
    assert (
        client.patch("/api/v1/staff/nurse", json={"active": False}, headers=north["admin"]).status_code == 404
    )


def test_a_regional_admin_creates_accounts_at_any_site(client, regional_admin, north):
    made = client.post(
        "/api/v1/staff", json=_new("north-desk", role="reception", site="north"), headers=regional_admin
    )
    assert made.status_code == 201 and made.json["site"] == "north"
    listed = {u["username"] for u in client.get("/api/v1/staff", headers=regional_admin).json}
    assert {"north-desk", "nurse", "regional"} <= listed
