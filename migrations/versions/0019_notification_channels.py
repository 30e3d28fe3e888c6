"""notification channels: each patient's preferred channels, and per message the channel that
delivered it, the channels given up on, when the patient saw it and when to escalate

Revision ID: 0019_notification_channels
Revises: 0018_staff_sessions
Create Date: 2026-11-30 11:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019_notification_channels"
down_revision = "0018_staff_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification_preferences",
        sa.Column("journey_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("journey_id"),
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("skipped_channels", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalate_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalations", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        for column in ("escalations", "escalate_at", "seen_at", "skipped_channels", "channel", "params"):
            batch_op.drop_column(column)
    op.drop_table("notification_preferences")
