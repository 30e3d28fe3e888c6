"""results ready: an exam's report exists only once marked ready (or, in the demo, when due)

Revision ID: 0012_result_ready
Revises: 0011_patient_links
Create Date: 2026-11-30 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_result_ready"
down_revision = "0011_patient_links"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("result_ready_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("result_ready_at")
