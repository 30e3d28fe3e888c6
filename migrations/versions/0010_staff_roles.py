"""staff roles for system interfaces and regional admins; audit rows name the patient

Revision ID: 0010_staff_roles
Revises: 0009_integration
Create Date: 2026-11-30 08:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_staff_roles"
down_revision = "0009_integration"
branch_labels = None
depends_on = None

OLD_ROLES = ("reception", "nurse", "admin")
NEW_ROLES = (*OLD_ROLES, "interface", "regional_admin")


def _role_type(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="role", native_enum=False, create_constraint=True, length=16)


def upgrade():
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.alter_column(
            "role", existing_type=_role_type(OLD_ROLES), type_=_role_type(NEW_ROLES), existing_nullable=False
        )
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("patient_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_record_patient_id"), ["patient_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_record_patient_id_patient"), "patient", ["patient_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_audit_record_patient_id_patient"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_audit_record_patient_id"))
        batch_op.drop_column("patient_id")
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.alter_column(
            "role", existing_type=_role_type(NEW_ROLES), type_=_role_type(OLD_ROLES), existing_nullable=False
        )
