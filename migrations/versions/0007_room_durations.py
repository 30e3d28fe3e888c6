"""room durations: exam minutes per room type, where rooms differ

Revision ID: 0007_room_durations
Revises: 0006_plan_improvement
Create Date: 2026-11-26 03:25:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007_room_durations"
down_revision = "0006_plan_improvement"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("room_durations", sa.JSON(), nullable=False, server_default="{}"))


def downgrade():
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("room_durations")
