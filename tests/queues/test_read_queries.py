"""The morning peak: what a phone, a nurse's board and the desk ask of the database must not
grow with the number of steps or people (one query per row is what sank the first load test)."""

from __future__ import annotations

from tests.queries import Statements, statements
from tests.queues.conftest import as_patient, step


def test_the_patients_journey_reads_in_four_queries_whatever_its_number_of_steps(client, check_in):
    short = check_in("ECG", visit="V-S", mrn="M-S")
    long = check_in(
        "GLU",
        "LIPID",
        "US-ABD",
        "ECG",
        "CT-ABD-C",
        "FOLLOWUP",
        visit="V-L",
        mrn="M-L",
        fasting_confirmed=True,
    )
    for journey in (short, long):  # paid: the next step is a room, so the read includes the route
        client.post(
            f"/api/v1/journeys/{journey['id']}/tasks/{step(journey, 'payment')['id']}/complete",
            headers=as_patient(journey),
        )
    reads = {}
    for journey in (short, long):
        url = f"/api/v1/journeys/{journey['id']}"
        reads[journey["id"]] = statements(lambda url=url, j=journey: client.get(url, headers=as_patient(j)))
        body = client.get(url, headers=as_patient(journey)).json
        assert body["next_route"]["available"] is True and body["tasks"][0]["room"] is not None
    assert len(long["tasks"]) >= 3 * len(short["tasks"]) / 2
    for seen in reads.values():
        assert len(seen) <= 4, str(seen)


def test_the_nurses_board_asks_the_same_whatever_the_length_of_the_line(client, nurse, waiting_patient):
    first = waiting_patient("PFT")
    board = f"/api/v1/queues/rooms/{first['room']}"
    one = statements(lambda: client.get(board, headers=nurse))
    for _ in range(3):
        assert waiting_patient("PFT")["room"] == first["room"]
    four = statements(lambda: client.get(board, headers=nurse))
    assert len(client.get(board, headers=nurse).json["entries"]) == 4
    assert len(four) == len(one), f"one patient:\n{one}\n\nfour patients:\n{four}"


def test_a_patients_place_in_line_reads_the_same_whatever_the_length_of_the_line(client, waiting_patient):
    first = waiting_patient("PFT")
    url = f"/api/v1/queues/journeys/{first['journey']['id']}"
    alone = statements(lambda: client.get(url, headers=as_patient(first["journey"])))
    for _ in range(3):
        waiting_patient("PFT")
    crowded = statements(lambda: client.get(url, headers=as_patient(first["journey"])))
    assert len(crowded) == len(alone), f"alone:\n{alone}\n\nthree more waiting:\n{crowded}"


def test_a_check_in_asks_the_same_however_many_patients_came_before(client, check_in):
    check_in("PFT", visit="V-0", mrn="M-0")
    early = statements(lambda: check_in("PFT", visit="V-1", mrn="M-1"))
    for n in range(2, 6):
        check_in("PFT", visit=f"V-{n}", mrn=f"M-{n}")
    late = statements(lambda: check_in("PFT", visit="V-9", mrn="M-9"))
    assert len(late) == len(early), f"second patient:\n{early}\n\nseventh patient:\n{late}"


def test_a_phones_polls_send_statements_short_enough_for_the_driver_to_keep_parsed(client, waiting_patient):
    """psycopg parses a statement's text again on every run when it is longer than 4 kB: the
    place in line's stamp once was, and that parse was a quarter of each poll's CPU."""
    me = waiting_patient("PFT")
    waiting_patient("PFT")
    seen = Statements()
    for url in (f"/api/v1/journeys/{me['journey']['id']}", f"/api/v1/queues/journeys/{me['journey']['id']}"):
        answer = client.get(url, headers=as_patient(me["journey"]))
        for etag in (None, answer.headers["ETag"]):  # a read, then the poll that answers 304
            headers = {**as_patient(me["journey"]), **({"If-None-Match": etag} if etag else {})}
            seen.sql += statements(lambda url=url, headers=headers: client.get(url, headers=headers)).sql
    assert seen.sql and all(len(sql) < 4096 for sql in seen.sql), [len(sql) for sql in seen.sql]


def test_a_phones_unchanged_poll_is_one_statement_outside_any_transaction(client, waiting_patient):
    """The phone's link and its view's stamp are read in one statement, with no BEGIN and no
    ROLLBACK around it: a ROLLBACK makes psycopg drop the statements it prepared, and every poll
    then had PostgreSQL parse and plan its queries again."""
    from sqlalchemy import event

    from api.extensions import db

    me = waiting_patient("PFT")
    modes: list[str | None] = []

    def mode(conn, *_args) -> None:
        modes.append(conn.get_execution_options().get("isolation_level"))

    for url in (f"/api/v1/journeys/{me['journey']['id']}", f"/api/v1/queues/journeys/{me['journey']['id']}"):
        etag = client.get(url, headers=as_patient(me["journey"])).headers["ETag"]
        headers = {**as_patient(me["journey"]), "If-None-Match": etag}
        event.listen(db.engine, "before_cursor_execute", mode)
        try:
            seen = statements(lambda url=url, headers=headers: client.get(url, headers=headers))
        finally:
            event.remove(db.engine, "before_cursor_execute", mode)
        assert client.get(url, headers=headers).status_code == 304
        assert len(seen) == 1, str(seen)
    assert modes == ["AUTOCOMMIT", "AUTOCOMMIT"]


def test_a_poll_that_tried_to_write_is_refused_rather_than_committed(app, waiting_patient):
    """Without a transaction a write would commit at once, with nothing to roll it back."""
    import pytest

    from api.extensions import db
    from navigation.models import Journey

    me = waiting_patient("PFT")
    journey_id = me["journey"]["id"]
    db.session.remove()
    with app.test_request_context(f"/api/v1/journeys/{journey_id}", headers=as_patient(me["journey"])):
        app.preprocess_request()  # the request's hooks, as for a phone's poll
        db.session.get(Journey, journey_id).priority = 9
        with pytest.raises(RuntimeError, match="poll tried to write"):
            db.session.flush()
        db.session.remove()
    assert db.session.get(Journey, journey_id).priority == 0
