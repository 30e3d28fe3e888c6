"""CarePath's web application: the app factory wires extensions, blueprints and CLI commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    # Imported here, not at the top, so that `import api.cli` stays light: a command's help
    # must not load the web app, the solver and the router (see api/cli.py).
    from flask import Flask, send_from_directory
    from werkzeug.middleware.proxy_fix import ProxyFix

    from api import (
        access,
        admin,
        audit_log,
        auth,
        background,
        booking,
        browser_protection,
        callscreen,
        channels,
        dashboard,
        database_waits,
        fhir,
        freshness,
        health,
        live,
        log_privacy,
        metrics,
        nurse,
        pages,
        patient,
        reception,
        request_guard,
        request_log,
        staff,
    )
    from api.config import engine_options, from_environment
    from api.errors import ProblemApi, register_error_handlers
    from api.extensions import db, jwt, limiter, migrate

    app = Flask(__name__, instance_relative_config=True)
    app.config.update(from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    if app.config["PROXY_HOPS"]:  # the client's address, not the proxy's, for limits and delays
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    if not app.config["PUBLIC_API_DOCS"]:
        app.config["OPENAPI_URL_PREFIX"] = None  # no /api/docs, no /api/openapi.json
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config))
    app.json.sort_keys = False
    app.json.ensure_ascii = False  # Chinese names stay readable in responses and logs

    db.init_app(app)
    database_waits.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir())
    jwt.init_app(app)
    limiter.init_app(app)
    api = ProblemApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blueprint in (
        auth.blp,
        reception.blp,
        booking.blp,
        patient.blp,
        channels.blp,
        callscreen.blp,
        admin.blp,
        audit_log.blp,
        staff.blp,
        nurse.blp,
        live.blp,
        fhir.blp,
        fhir.journeys_blp,
        dashboard.blp,
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(pages.blp)
    app.register_blueprint(health.blp)
    auth.register_jwt_errors()
    register_error_handlers(app)
    request_log.init_app(app)  # first of the before-request hooks: every line has the id
    request_guard.init_app(app)
    background.init_app(app)
    freshness.init_app(app)
    metrics.init_app(app)

    if app.config["PUBLIC_API_DOCS"]:

        @app.get("/api/docs/assets/<path:filename>")
        def swagger_assets(filename: str):
            return send_from_directory(app.config["SWAGGER_UI_ASSETS"], filename)

    access.check_declared(app)  # no API operation without declared callers and site scope
    log_privacy.install()
    browser_protection.init_app(app)

    return app


def _migrations_dir() -> str:
    return str(Path(__file__).resolve().parent.parent / "migrations")
