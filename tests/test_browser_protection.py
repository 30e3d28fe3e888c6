"""Web hygiene: the browser protections on every answer, and the API docs a setting in production."""

from __future__ import annotations

import pytest

PAGES_AND_API = ("/reception", "/nurse", "/signage/demo/ecg", "/p/pt_1_x", "/api/v1/catalog", "/healthz")


def test_every_answer_carries_the_browser_protections(client):
    for path in PAGES_AND_API:
        headers = client.get(path).headers
        assert "script-src 'self';" in headers["Content-Security-Policy"], path
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", (
            path
        )  # the patient's page has its token in its address
        assert "Strict-Transport-Security" not in headers, path  # development runs on plain http


@pytest.fixture
def production(app, monkeypatch, database_url):
    """Clients of apps started as in production, on the test database."""
    from api.extensions import db

    made = []

    def make(**env: str):
        from api import create_app

        settings = {
            "CAREPATH_ENV": "production",
            "SECRET_KEY": "s" * 40,
            "JWT_SECRET_KEY": "j" * 40,
            "DATABASE_URL": database_url,
            **env,
        }
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        made.append(create_app())
        # Its own dispatcher would deliver (or expire, by the real clock) other tests' messages.
        made[-1].config["CAREPATH_INPROCESS_WORKER"] = False
        return made[-1].test_client()

    yield make
    for started in made:
        with started.app_context():
            db.session.remove()
            db.engine.dispose()


def test_production_sends_hsts_and_hides_the_api_docs_unless_told(production):
    client = production()
    assert client.get("/api/docs").status_code == 404
    assert client.get("/api/openapi.json").status_code == 404
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 404
    assert client.get("/reception").headers["Strict-Transport-Security"].startswith("max-age=")
    shown = production(CAREPATH_PUBLIC_API_DOCS="1")
    assert shown.get("/api/openapi.json").status_code == 200
    docs = shown.get("/api/docs")
    assert docs.status_code == 200 and "'unsafe-inline'" in docs.headers["Content-Security-Policy"]


@pytest.mark.browser
def test_the_pages_work_under_their_content_security_policy(chromium, live_server, check_in):
    journey = check_in("ECG")
    context = chromium.new_context(bypass_csp=False, viewport={"width": 390, "height": 844})
    refused: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: refused.append(str(e)))
        page.goto(f"{live_server}/p/{journey['access_token']}")
        page.wait_for_selector("#next-name:not(:empty)")
        page.goto(f"{live_server}/signage/demo/ecg")
        page.wait_for_selector("#clock:not(:empty)")
        for path in ("/reception", "/reception/bookings", "/nurse", "/"):
            page.goto(f"{live_server}{path}")
            page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert refused == []
