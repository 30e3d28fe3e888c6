"""Staff accounts: creation, passwords (werkzeug's salted hashes) and the rules a password must meet."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from navigation import staff_sessions
from navigation.errors import Conflict, DomainError, NotFound
from navigation.models import Role, Site, StaffUser

MIN_PASSWORD_LENGTH = 12
# Compared against when the username is unknown, so a wrong username costs as long as a wrong
# password and the answer time does not tell which usernames exist.
_DUMMY_HASH = generate_password_hash("carepath: no such account")


def find_user(session: Session, username: str) -> StaffUser | None:
    return session.scalar(sa.select(StaffUser).where(StaffUser.username == username))


def check_password_rules(password: str) -> None:
    """At least 12 characters and not on (or close to) a common-password list."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if zxcvbn(password[:100])["score"] < 3:
        raise DomainError("this password is too common or too easy to guess", field="password")


def password_fit(password: str) -> bool:
    try:
        check_password_rules(password)
    except DomainError:
        return False
    return True


def create_user(
    session: Session, username: str, password: str, role: Role, site_id: int | None, display_name: str = ""
) -> StaffUser:
    """A new account. Only a regional admin works without a site; everyone else belongs to one."""
    if find_user(session, username) is not None:
        raise Conflict(f"there is already an account {username!r}", field="username")
    if (site_id is None) != (role == Role.REGIONAL_ADMIN):
        raise DomainError("a regional admin has no site; every other account has one", field="site")
    user = StaffUser(
        username=username,
        password_hash=generate_password_hash(password),
        role=role,
        site_id=site_id,
        display_name=display_name or username,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def create_account(
    session: Session, username: str, password: str, role: Role, site_code: str | None, display_name: str = ""
) -> StaffUser:
    """A real account (the CLI and the admin API): a good password, an existing site."""
    check_password_rules(password)
    if not 1 <= len(username) <= 64 or not username.isprintable() or username != username.strip():
        raise DomainError("a username has 1 to 64 printable characters", field="username")
    site_id = None
    if site_code is not None:
        site_id = session.scalar(sa.select(Site.id).where(Site.code == site_code))
        if site_id is None:
            raise NotFound(f"no site {site_code!r}", field="site")
    return create_user(session, username, password, role, site_id, display_name)


def set_password(session: Session, user: StaffUser, password: str, now: datetime) -> None:
    """A new password; whoever is signed in with the old one is signed out."""
    check_password_rules(password)
    user.password_hash = generate_password_hash(password)
    staff_sessions.end_all(session, user, now)


def set_active(session: Session, user: StaffUser, active: bool, now: datetime) -> None:
    """Disable (every session ends at once) or enable an account (it signs in afresh)."""
    user.active = active
    if not active:
        staff_sessions.end_all(session, user, now)


def account(session: Session, username: str) -> StaffUser:
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"no account {username!r}", field="username")
    return user


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    user = session.scalar(sa.select(StaffUser).where(StaffUser.username == username, StaffUser.active))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def system_account(session: Session, username: str) -> StaffUser:
    """The account a machine acts as (the HL7 listener), so its changes are audited under a
    name. It has a random password and is inactive: nobody can sign in with it."""
    user = find_user(session, username)
    if user is None:
        user = StaffUser(
            username=username,
            display_name=f"System: {username}",
            password_hash=generate_password_hash(secrets.token_urlsafe(32)),
            role=Role.INTERFACE,  # may post orders and nothing else
            site_id=None,  # one listener may serve several sites (MSH-6 names each message's)
            active=False,
        )
        session.add(user)
        session.flush()
    return user
