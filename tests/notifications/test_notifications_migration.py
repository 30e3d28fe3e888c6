"""The hand-written migration builds exactly the tables the models describe."""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations

from notifications.db import NotificationsBase

MIGRATION = Path(__file__).resolve().parents[2] / "migrations/versions/0002_notifications.py"


def load_migration():
    spec = importlib.util.spec_from_file_location("migration_0002_notifications", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_upgrade_matches_the_models_and_downgrade_removes_them(tmp_path: Path) -> None:
    migration = load_migration()
    assert (migration.revision, migration.down_revision) == ("0002_notifications", "0001_foundation")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    with engine.begin() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        with Operations.context(context):
            migration.upgrade()
        assert compare_metadata(context, NotificationsBase.metadata) == []
        with Operations.context(context):
            migration.downgrade()
        assert sa.inspect(connection).get_table_names() == []
    engine.dispose()
