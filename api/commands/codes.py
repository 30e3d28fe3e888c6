"""`carepath codes ...`: the site's code mapping from the hospital's order codes to catalog exams."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("codes")
def codes_group() -> None:
    """The site's code mapping: the hospital's order codes (LOINC, local) to catalog exams."""


@codes_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", "site_code", required=True, help="Site code.")
@with_appcontext
def codes_import_command(path: Path, site_code: str) -> None:
    """Replace the site's table with the CSV file PATH (system,code,exam_code[,display]); a file
    with any wrong line is refused whole and the old table stays."""
    import sqlalchemy as sa

    from api.extensions import db
    from navigation.errors import DomainError
    from navigation.integration.code_store import replace_mappings
    from navigation.integration.codes import MappingFileError, read_csv
    from navigation.models import Site

    site = db.session.scalar(sa.select(Site).where(Site.code == site_code))
    if site is None:
        raise click.ClickException(f"no site {site_code!r}")
    try:
        count = replace_mappings(db.session, site, read_csv(path.read_text("utf-8-sig")))
    except (MappingFileError, DomainError) as exc:
        db.session.rollback()
        for where, problems in exc.errors.items():
            click.echo(f"error {where}: {'; '.join(problems)}", err=True)
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{count} code mapping(s) loaded for site {site_code!r} from {path}.")
