"""outbox request id: the request that queued a message, logged again when it is delivered

Revision ID: 0021_outbox_request_id
Revises: 0020_bookings
Create Date: 2026-11-30 11:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0021_outbox_request_id"
down_revision = "0020_bookings"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_column("request_id")
