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
