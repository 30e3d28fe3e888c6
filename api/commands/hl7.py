"""`carepath hl7 listen`: HL7 v2 orders over MLLP, as a process of its own."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("hl7")
def hl7_group() -> None:
    """HL7 v2: order (ORM^O01, OMG^O19) and registration (ADT^A04) messages over MLLP."""


@hl7_group.command("listen")
@click.option("--port", required=True, type=click.IntRange(0, 65535), help="TCP port (2575 is usual).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; 0.0.0.0 for all.")
@click.option("--site", "site_code", default=None, help="Site of every message; else MSH-6 names it.")
@with_appcontext
def listen_command(port: int, host: str, site_code: str | None) -> None:
    """Answer every message with an ACK: AA taken in, AE taken in with errors, AR refused."""
    import logging

    from api.hl7_listener import Hl7Listener

    logging.basicConfig(level=logging.INFO, format="%(levelname)-5.5s [%(name)s] %(message)s")
    listener = Hl7Listener(current_app._get_current_object(), host, port, site_code)  # type: ignore[attr-defined]
    click.echo(f"Listening for HL7 v2 over MLLP on {host}:{listener.port} (Ctrl-C to stop).", err=False)
    try:
        listener.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        listener.server_close()


@hl7_group.command("report")
@click.option("--site", "site_code", required=True, help="The site whose orders to report.")
@click.option("--to", "destination", required=True, help="HOST:PORT of the hospital's MLLP receiver.")
@click.option("--every", default=30.0, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="One round, then exit.")
@with_appcontext
def report_command(site_code: str, destination: str, every: float, once: bool) -> None:
    """Send the hospital each order's status (scheduled, in process, completed, cancelled) as HL7
    OMG^O19; what the receiver has not acknowledged is sent again in the next round."""
    import time

    import sqlalchemy as sa

    from api.context import now
    from api.extensions import db
    from navigation.integration.hl7_status import report_round
    from navigation.integration.mllp import exchange
    from navigation.models import Site

    host, _, port = destination.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter("give HOST:PORT", param_hint="--to")
    site = db.session.scalar(sa.select(Site).where(Site.code == site_code))
    if site is None:
        raise click.ClickException(f"no site {site_code!r}")
    while True:
        result = report_round(db.session, site, lambda text: exchange(host, int(port), text), now())
        db.session.commit()
        click.echo(f"{result.sent} order status(es) acknowledged, {result.failed} to send again")
        if once:
            return
        time.sleep(every)
