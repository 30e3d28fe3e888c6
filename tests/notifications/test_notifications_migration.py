"""The hand-written migrations build exactly the tables the models describe."""

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations

from notifications.db import NotificationsBase

VERSIONS = Path(__file__).resolve().parents[2] / "migrations/versions"
# The migrations that touch only the notifications tables, oldest first.
MIGRATIONS = [
    "0002_notifications",
    "0019_notification_channels",
    "0021_outbox_request_id",
    "0024_booking_messages",
]


def load_migration(name: str):
    spec = importlib.util.spec_from_file_location(f"migration_{name}", VERSIONS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_upgrade_matches_the_models_and_downgrade_removes_them(tmp_path: Path) -> None:
    migrations = [load_migration(name) for name in MIGRATIONS]
    assert (migrations[0].revision, migrations[0].down_revision) == ("0002_notifications", "0001_foundation")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    with engine.begin() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        with Operations.context(context):
            for migration in migrations:
                migration.upgrade()
        assert compare_metadata(context, NotificationsBase.metadata) == []
        with Operations.context(context):
            for migration in reversed(migrations):
                migration.downgrade()
        assert sa.inspect(connection).get_table_names() == []
    engine.dispose()


def test_a_row_names_a_journey_or_a_booking_never_both_nor_neither(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    with engine.begin() as connection:
        context = MigrationContext.configure(connection)
        with Operations.context(context):
            for name in MIGRATIONS:
                load_migration(name).upgrade()
    device = (
        "INSERT INTO notification_devices (journey_id, booking_id, channel, token, platform, registered_at) "
    )
    with engine.begin() as connection:
        connection.execute(sa.text(device + "VALUES (1, NULL, 'sms', 'a', 'sms', '2026-01-01')"))
        connection.execute(sa.text(device + "VALUES (NULL, 7, 'sms', 'a', 'sms', '2026-01-01')"))
    for journey, booking in (("1", "7"), ("NULL", "NULL")):
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(
                sa.text(device + f"VALUES ({journey}, {booking}, 'sms', 'b', 'sms', '2026-01-01')")
            )
    engine.dispose()
