"""failed sign-ins per account and source address, for progressive delays

Revision ID: 0013_login_failures
Revises: 0012_result_ready
Create Date: 2026-11-30 09:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_login_failures"
down_revision = "0012_result_ready"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_failure",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", "source", name=op.f("pk_login_failure")),
    )


def downgrade():
    op.drop_table("login_failure")
