"""status categories: why a step changed, as a category the patient's page translates

Revision ID: 0022_status_categories
Revises: 0021_outbox_request_id
Create Date: 2026-11-30 11:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0022_status_categories"
down_revision = "0021_outbox_request_id"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_category", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("status_category")
