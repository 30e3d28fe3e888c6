"""`carepath map ...`: import a site's building map."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("map")
def map_group() -> None:
    """Building maps: import a CarePath JSON map or an IMDF archive."""


@map_group.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--site", "site_code", required=True, help="Site code; created if it does not exist.")
@click.option(
    "--check",
    is_flag=True,
    help="Dry run: print every error and warning and what would change at the site; store nothing.",
)
@with_appcontext
def map_import_command(path: Path, site_code: str, check: bool) -> None:
    """Validate and load PATH as the site's map; errors refuse it and the old map stays."""
    import sqlalchemy as sa

    from api.extensions import db
    from navigation.errors import DomainError
    from navigation.models import Site
    from navigation.routing import install_map

    site = db.session.scalar(sa.select(Site).where(Site.code == site_code))
    try:
        if check:
            _print_preview(site, site_code, path)
            return
        if site is None:
            site = Site(code=site_code, name_en=site_code, name_zh=site_code)
            db.session.add(site)
            db.session.flush()
        report = install_map(db.session, site, path)
    except DomainError as exc:
        db.session.rollback()
        for code, problems in exc.errors.items():
            click.echo(f"error {code} ({len(problems)}):", err=True)
            for problem in problems:
                click.echo(f"  {problem}", err=True)
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    _print_warnings(report.get("warnings", []))
    click.echo(f"Map of site {site_code!r} loaded from {path}.")


def _print_warnings(warnings: list[dict]) -> None:
    for warning in warnings:
        ids = ", ".join(warning["ids"][:10]) + (" ..." if len(warning["ids"]) > 10 else "")
        click.echo(f"warning {warning['code']}: {warning['message']} ({len(warning['ids'])}: {ids})")


def _print_preview(site, site_code: str, path: Path) -> None:
    """What `--check` says: the map's warnings and what would change; nothing is written."""
    from api.extensions import db
    from navigation.map_preview import preview_map

    preview = preview_map(db.session, site, path)
    db.session.rollback()
    _print_warnings(preview.report.to_dict()["warnings"])
    for label, ids in (
        ("rooms added", preview.rooms_added),
        ("rooms removed", preview.rooms_removed),
        ("connectors added", preview.connectors_added),
        ("connectors removed", preview.connectors_removed),
        ("closures that would point at nothing", preview.closures_lost),
        ("hospital rooms with no door on this map", preview.rooms_not_on_map),
    ):
        click.echo(f"{label} ({len(ids)}): {', '.join(ids) if ids else '-'}")
    where = f"site {site_code!r}" if site is not None else f"new site {site_code!r}"
    click.echo(f"Check only: {path} would be accepted for {where}; nothing was stored.")
