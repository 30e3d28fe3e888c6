"""Staff accounts: creation and password checks (werkzeug's salted PBKDF2/scrypt hashes)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from navigation.models import Role, StaffUser


def create_or_update_user(
    session: Session, username: str, password: str, role: Role, site_id: int | None, display_name: str = ""
) -> StaffUser:
    user = session.scalar(sa.select(StaffUser).where(StaffUser.username == username))
    if user is None:
        user = StaffUser(username=username)
        session.add(user)
    user.password_hash = generate_password_hash(password)
    user.role, user.site_id, user.display_name = role, site_id, display_name or username
    user.active = True
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    user = session.scalar(sa.select(StaffUser).where(StaffUser.username == username, StaffUser.active))
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    return user
