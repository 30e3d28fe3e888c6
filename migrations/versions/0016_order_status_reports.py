"""order status reports: the status of each hospital order the hospital has acknowledged

Revision ID: 0016_order_status_reports
Revises: 0015_site_catalogs
Create Date: 2026-11-30 09:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_order_status_reports"
down_revision = "0015_site_catalogs"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("journey_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reported_status", sa.String(length=2), nullable=True))


def downgrade():
    with op.batch_alter_table("journey_order", schema=None) as batch_op:
        batch_op.drop_column("reported_status")
