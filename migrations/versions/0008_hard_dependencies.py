"""hard dependencies: a prerequisite (pay, drink, a result needed) or only an order

Revision ID: 0008_hard_dependencies
Revises: 0007_room_durations
Create Date: 2026-11-26 02:25:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008_hard_dependencies"
down_revision = "0007_room_durations"
branch_labels = None
depends_on = None

# the reasons navigation/steps.py gave prerequisites before the flag existed
HARD_REASONS = ("pay before the service", "drink water first for a full bladder")


def upgrade():
    with op.batch_alter_table("task_dependency", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hard", sa.Boolean(), nullable=False, server_default=sa.false()))
    dependency = sa.table("task_dependency", sa.column("reason", sa.String), sa.column("hard", sa.Boolean))
    op.execute(
        dependency.update()
        .where(sa.or_(dependency.c.reason.in_(HARD_REASONS), dependency.c.reason.like("% result needed first")))
        .values(hard=True)
    )


def downgrade():
    with op.batch_alter_table("task_dependency", schema=None) as batch_op:
        batch_op.drop_column("hard")
