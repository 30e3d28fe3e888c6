"""Configuration from the environment. Development generates what it lacks; production refuses to."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from swagger_ui_bundle import swagger_ui_path

REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "JWT_SECRET_KEY", "DATABASE_URL")


class ConfigError(RuntimeError):
    pass


def from_environment(instance_path: str, environ: dict[str, str] | None = None) -> dict:
    env = dict(os.environ if environ is None else environ)
    production = env.get("CAREPATH_ENV", "development") == "production"
    if production:
        missing = [name for name in REQUIRED_IN_PRODUCTION if not env.get(name)]
        if missing:
            raise ConfigError(f"CAREPATH_ENV=production needs {', '.join(missing)} set")
    sqlite_file = Path(instance_path) / "carepath.sqlite"
    return {
        "CAREPATH_ENV": "production" if production else "development",
        "SECRET_KEY": env.get("SECRET_KEY") or _dev_secret(instance_path, "secret_key"),
        "JWT_SECRET_KEY": env.get("JWT_SECRET_KEY") or _dev_secret(instance_path, "jwt_secret_key"),
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(hours=int(env.get("CAREPATH_STAFF_SESSION_HOURS", "12"))),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL") or f"sqlite:///{sqlite_file}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": env.get("REDIS_URL") or None,
        "PUBLIC_BASE_URL": env.get("CAREPATH_PUBLIC_URL") or None,
        # background improvement of each site's day: how often, and the solver's budget per round
        "IMPROVE_EVERY": timedelta(seconds=int(env.get("CAREPATH_IMPROVE_EVERY_S", "300"))),
        "IMPROVE_SECONDS": float(env.get("CAREPATH_IMPROVE_SECONDS", "5")),
        # a patient's link works until this long after the journey's last visit day
        "PATIENT_LINK_GRACE": timedelta(days=float(env.get("CAREPATH_PATIENT_LINK_GRACE_DAYS", "3"))),
        # no lab system (the demo): results are ready when the catalog's turnaround has passed
        "DEMO_RESULTS": env.get("CAREPATH_DEMO_RESULTS") == "1",
        # proxies in front of the app (nginx, a load balancer) whose X-Forwarded-* headers to trust
        "PROXY_HOPS": int(env.get("CAREPATH_PROXY_HOPS", "0")),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "API_TITLE": "CarePath",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        # the browsable API (/api/docs, /api/openapi.json): open in development, a choice in production
        "PUBLIC_API_DOCS": env.get("CAREPATH_PUBLIC_API_DOCS", "0" if production else "1") == "1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
        "SWAGGER_UI_ASSETS": swagger_ui_path,
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,  # an IMDF archive of a large campus
    }


def _dev_secret(instance_path: str, name: str) -> str:
    """Development keeps a generated secret in the instance folder so links survive restarts."""
    path = Path(instance_path) / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    return value
