"""site places version: renaming a room changes the ETag of every journey that shows it

Revision ID: 0023_site_places_version
Revises: 0022_status_categories
Create Date: 2026-11-30 14:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0023_site_places_version"
down_revision = "0022_status_categories"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("places_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("places_version")
