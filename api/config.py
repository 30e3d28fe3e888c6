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
        # staff: an access token lives minutes and is renewed with the session's refresh token,
        # which lasts a shift; the staff pages sign out after STAFF_IDLE_TIMEOUT without use
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=int(env.get("CAREPATH_STAFF_TOKEN_MINUTES", "15"))),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(hours=int(env.get("CAREPATH_STAFF_SESSION_HOURS", "12"))),
        "STAFF_IDLE_TIMEOUT": timedelta(minutes=float(env.get("CAREPATH_STAFF_IDLE_MINUTES", "15"))),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL") or f"sqlite:///{sqlite_file}",
        # Database waits, in seconds (see docs/deploying.md): a stopped or overloaded database
        # answers 503 within these bounds instead of hanging or failing a burst that could queue.
        "DB_CONNECT_TIMEOUT_S": int(env.get("CAREPATH_DB_CONNECT_TIMEOUT_S", "5")),
        "DB_STATEMENT_TIMEOUT_S": int(env.get("CAREPATH_DB_STATEMENT_TIMEOUT_S", "15")),
        "DB_POOL_TIMEOUT_S": max(10, int(env.get("CAREPATH_DB_POOL_TIMEOUT_S", "15"))),
        # A process keeps its connections open: a burst waits its turn for one (docs/performance.md).
        "DB_POOL_SIZE": int(env.get("CAREPATH_DB_POOL_SIZE", "10")),
        "DB_MAX_OVERFLOW": int(env.get("CAREPATH_DB_MAX_OVERFLOW", "0")),
        "REDIS_URL": env.get("REDIS_URL") or None,
        # patients' phone numbers are encrypted under this (docs/notifications.md)
        "PHONE_KEY": env.get("CAREPATH_PHONE_KEY") or None,
        # the channels tried after each patient's own preference, e.g. "wechat,sms,webpush,fcm"
        "CHANNEL_ORDER": env.get("CAREPATH_CHANNEL_ORDER") or None,
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
        # `carepath worker` delivers whatever is due this often even if no wake-up reached it
        # (Redis away); without Redis it is the only dispatcher, so it looks every second.
        "SWEEP_SECONDS": float(env.get("CAREPATH_SWEEP_SECONDS", "10" if env.get("REDIS_URL") else "1")),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        # Without Redis, limits are counted per process (logged) rather than failing sign-in.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
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


def engine_options(config: dict) -> dict:
    """SQLAlchemy engine options for the configured database: PostgreSQL gets connect and
    statement timeouts and a bounded pool wait; SQLite (one file, one writer) keeps its defaults."""
    # no statement parameters (patients' names, MRNs) in database errors, hence in logs
    options: dict = {"pool_pre_ping": True, "hide_parameters": True}
    if not str(config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        return options
    statement_ms = config["DB_STATEMENT_TIMEOUT_S"] * 1000
    return options | {
        "pool_size": config["DB_POOL_SIZE"],
        "max_overflow": config["DB_MAX_OVERFLOW"],
        "pool_timeout": config["DB_POOL_TIMEOUT_S"],
        "connect_args": {
            "connect_timeout": config["DB_CONNECT_TIMEOUT_S"],
            "options": f"-c statement_timeout={statement_ms} -c lock_timeout={statement_ms}",
        },
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
