"""No wait for PostgreSQL without an end.

The server enforces `statement_timeout`, but a server that does not run at all (a frozen host,
hung storage, a stopped process) enforces nothing, and the kernel still keeps its sockets open:
psycopg would wait for an answer forever, and so would the request. Here every wait for the
server's answer is bounded on the client side; a connection that missed its answer is closed
(its state is unknown), so SQLAlchemy's pool drops it and the request answers 503.
"""

from __future__ import annotations

from typing import Any

import psycopg
from flask import Flask
from psycopg import errors
from psycopg.abc import RV, PQGen
from sqlalchemy import event

from api.extensions import db

# time for a server that does answer to report its own statement timeout before we give up
MARGIN_S = 2


class BoundedConnection(psycopg.Connection):
    answer_timeout_s: float = 60.0

    def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
        try:
            bound = self.answer_timeout_s if timeout is None else timeout
            return super().wait(gen, interval=interval, timeout=bound)
        except errors._WaitTimeout:
            if timeout is not None:  # the caller's own bound (as for LISTEN), not a silent server
                raise
            self.pgconn.finish()
            raise errors.OperationalError(
                f"the database did not answer within {self.answer_timeout_s:g} s"
            ) from None


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.driver != "psycopg":
        return
    answer_timeout_s = app.config["DB_STATEMENT_TIMEOUT_S"] + MARGIN_S

    @event.listens_for(engine, "do_connect")
    def bounded(_dialect: Any, _record: Any, cargs: tuple, cparams: dict) -> psycopg.Connection:
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.answer_timeout_s = answer_timeout_s
        return connection
