"""`carepath report`: a site's day as a CSV of every step and a self-contained HTML page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext


@click.command("report")
@click.option("--site", "site_code", required=True, help="The site's code (demo, riverside...).")
@click.option("--date", "day_text", required=True, help="The site's local date, YYYY-MM-DD.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def report_command(site_code: str, day_text: str, out: Path) -> None:
    """Write OUT/SITE-DATE.csv (one row per patient step) and OUT/SITE-DATE.html (the figures and
    charts); a day without patients gives a CSV with its header only."""
    import sqlalchemy as sa
    from flask import current_app

    from api.context import now
    from api.daily_report import write_report
    from api.extensions import db
    from navigation.kpis import EARLIEST, LATEST, site_day
    from navigation.models import Site

    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise click.BadParameter("give the date as YYYY-MM-DD", param_hint="--date") from None
    if not EARLIEST <= day <= LATEST:
        raise click.BadParameter(f"a date from {EARLIEST} to {LATEST}", param_hint="--date")
    site = db.session.scalar(sa.select(Site).where(Site.code == site_code))
    if site is None:
        raise click.BadParameter(f"no site {site_code!r}", param_hint="--site")
    csv_path, html_path = write_report(
        db.session, site_day(site, day, now()), out, current_app.config["SECRET_KEY"]
    )
    click.echo(f"wrote {csv_path} and {html_path}")
