"""staff sessions: refresh tokens that sign-out, a disabled account or a new password end

Revision ID: 0018_staff_sessions
Revises: 0017_ordering_departments
Create Date: 2026-11-30 11:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018_staff_sessions"
down_revision = "0017_ordering_departments"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_session",
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_user.id"],
            name=op.f("fk_staff_session_staff_user_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_staff_session")),
    )
    op.create_index(op.f("ix_staff_session_expires_at"), "staff_session", ["expires_at"])
    op.create_index(op.f("ix_staff_session_staff_user_id"), "staff_session", ["staff_user_id"])


def downgrade():
    op.drop_table("staff_session")
