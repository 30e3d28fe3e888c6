"""plan improvement: when each site's plan was last improved

Revision ID: 0006_plan_improvement
Revises: 0005_planning
Create Date: 2026-11-26 02:55:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006_plan_improvement"
down_revision = "0005_planning"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("improved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("improved_at")
