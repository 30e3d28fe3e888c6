"""ordering departments: the department that placed an order, and the department of a clinic room

Revision ID: 0017_ordering_departments
Revises: 0016_order_status_reports
Create Date: 2026-11-30 11:35:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017_ordering_departments"
down_revision = "0016_order_status_reports"
branch_labels = None
depends_on = None

TABLES = ("room", "journey_order", "task")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("department", sa.String(length=32), nullable=True))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("department")
