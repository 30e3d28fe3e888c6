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
@with_appcontext
def map_import_command(path: Path, site_code: str) -> None:
    """Validate and load PATH as the site's map; errors refuse it and the old map stays."""
    import sqlalchemy as sa

    from api.extensions import db
    from navigation.errors import DomainError
    from navigation.models import Site
    from navigation.routing import install_map

    site = db.session.scalar(sa.select(Site).where(Site.code == site_code))
    if site is None:
        site = Site(code=site_code, name_en=site_code, name_zh=site_code)
        db.session.add(site)
        db.session.flush()
    try:
        report = install_map(db.session, site, path)
    except DomainError as exc:
        db.session.rollback()
        for code, problems in exc.errors.items():
            click.echo(f"error {code} ({len(problems)}):", err=True)
            for problem in problems:
                click.echo(f"  {problem}", err=True)
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    for warning in report.get("warnings", []):
        ids = ", ".join(warning["ids"][:10]) + (" ..." if len(warning["ids"]) > 10 else "")
        click.echo(f"warning {warning['code']}: {warning['message']} ({len(warning['ids'])}: {ids})")
    click.echo(f"Map of site {site_code!r} loaded from {path}.")
