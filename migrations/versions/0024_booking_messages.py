"""booking messages: an outbox row or a device belongs to a journey or, before the day, to a
booking (exactly one of them), and a message may wait until a time of its own

Revision ID: 0024_booking_messages
Revises: 0023_site_places_version
Create Date: 2026-11-30 14:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0024_booking_messages"
down_revision = "0023_site_places_version"
branch_labels = None
depends_on = None

ONE_RECIPIENT = "(journey_id IS NULL) <> (booking_id IS NULL)"


def upgrade():
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.alter_column("journey_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.add_column(sa.Column("booking_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_notification_outbox_booking_id", ["booking_id"])
        batch_op.create_check_constraint("ck_notification_outbox_one_recipient", ONE_RECIPIENT)
    with op.batch_alter_table("notification_devices", schema=None) as batch_op:
        batch_op.alter_column("journey_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.add_column(sa.Column("booking_id", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_notification_devices_booking_id", ["booking_id"])
        batch_op.create_unique_constraint(
            "uq_notification_devices_booking_channel_token", ["booking_id", "channel", "token"]
        )
        batch_op.create_check_constraint("ck_notification_devices_one_recipient", ONE_RECIPIENT)


def downgrade():
    # A booking's messages and addresses have no journey to keep them under.
    op.execute("DELETE FROM notification_outbox WHERE journey_id IS NULL")
    op.execute("DELETE FROM notification_devices WHERE journey_id IS NULL")
    with op.batch_alter_table("notification_devices", schema=None) as batch_op:
        batch_op.drop_constraint("ck_notification_devices_one_recipient", type_="check")
        batch_op.drop_constraint("uq_notification_devices_booking_channel_token", type_="unique")
        batch_op.drop_index("ix_notification_devices_booking_id")
        batch_op.drop_column("booking_id")
        batch_op.alter_column("journey_id", existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_constraint("ck_notification_outbox_one_recipient", type_="check")
        batch_op.drop_index("ix_notification_outbox_booking_id")
        batch_op.drop_column("not_before")
        batch_op.drop_column("booking_id")
        batch_op.alter_column("journey_id", existing_type=sa.BigInteger(), nullable=False)
