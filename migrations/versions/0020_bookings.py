"""bookings: one-stop exam booking before the visit day

Revision ID: 0020_bookings
Revises: 0019_notification_channels
Create Date: 2026-11-30 11:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020_bookings"
down_revision = "0019_notification_channels"
branch_labels = None
depends_on = None

STATUSES = ("held", "booked", "cancelled", "expired", "no-show", "arrived")


def upgrade():
    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("visit_number", sa.String(length=64), nullable=False),
        sa.Column("orders", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="booking_status", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("token_salt", sa.String(length=32), nullable=False),
        sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_booking_patient_id_patient"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_booking_site_id_site"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking")),
    )
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_visit_number"), ["visit_number"], unique=False)
    op.create_table(
        "booking_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("orders", sa.JSON(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_booking_visit_booking_id_booking"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_booking_visit_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_visit")),
    )
    with op.batch_alter_table("booking_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_visit_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index("ix_booking_visit_site_day", ["site_id", "day"], unique=False)


def downgrade():
    op.drop_table("booking_visit")
    op.drop_table("booking")
