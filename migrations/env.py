"""Alembic environment: run through Flask-Migrate (`carepath db upgrade`) against the app's engine."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from navigation.models import Base
from notifications.db import NotificationsBase

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = [Base.metadata, NotificationsBase.metadata]


def run_migrations_online() -> None:
    engine = current_app.extensions["migrate"].db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("CarePath migrations run online: use `carepath db upgrade`")
run_migrations_online()
