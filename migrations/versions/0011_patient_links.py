"""patient links can be replaced: the old salts are kept so an old link answers 410

Revision ID: 0011_patient_links
Revises: 0010_staff_roles
Create Date: 2026-11-30 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_patient_links"
down_revision = "0010_staff_roles"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("journey", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_salts", sa.JSON(), nullable=False, server_default="[]"))


def downgrade():
    with op.batch_alter_table("journey", schema=None) as batch_op:
        batch_op.drop_column("replaced_salts")
