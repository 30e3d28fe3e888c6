"""`carepath staff ...`: staff accounts, the real way in (the demo's accounts are for trying out).

Passwords never come from the command line (shell history, `ps`): on a terminal they are asked
twice; otherwise the first line of standard input is the password, for scripts.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

ROLES = ("reception", "nurse", "admin", "interface", "regional_admin")


def _password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


def _run(change) -> None:
    """Run one change to the accounts in one transaction; a refused change is said plainly."""
    from api.extensions import db
    from navigation.errors import DomainError

    try:
        message = change(db.session)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(message)


@click.group("staff")
def staff_group() -> None:
    """Staff accounts: create, disable, reset a password."""


@staff_group.command("create")
@click.argument("username")
@click.option("--site", "site_code", help="The account's site (every role but regional_admin has one).")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", "display_name", default="", help="The name shown on screens.")
@with_appcontext
def create_command(username: str, site_code: str | None, role: str, display_name: str) -> None:
    """Create the account USERNAME; its password is asked for (or read from standard input)."""
    from navigation.models import Role
    from navigation.staff import create_account

    password = _password()

    def create(session) -> str:
        create_account(session, username, password, Role(role), site_code, display_name)
        return f"Account {username!r} ({role}) created."

    _run(create)


@staff_group.command("disable")
@click.argument("username")
@with_appcontext
def disable_command(username: str) -> None:
    """Disable the account USERNAME at once: its sessions stop working on their next request."""
    from navigation.models import utcnow
    from navigation.staff import account, set_active

    def disable(session) -> str:
        set_active(session, account(session, username), False, utcnow())
        return f"Account {username!r} disabled."

    _run(disable)


@staff_group.command("reset-password")
@click.argument("username")
@with_appcontext
def reset_password_command(username: str) -> None:
    """Give USERNAME a new password (asked for, or read from standard input)."""
    from navigation.models import utcnow
    from navigation.staff import account, set_password

    password = _password()

    def reset(session) -> str:
        set_password(session, account(session, username), password, utcnow())
        return f"Password of {username!r} changed."

    _run(reset)
