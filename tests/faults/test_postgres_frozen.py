"""PostgreSQL frozen (every server process SIGSTOPped: sockets open, nothing answers) under a
running app: requests already waiting on the database and new ones answer 503 with Retry-After
within the configured waits, none hangs; after SIGCONT the same app serves again."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import check_in_body
from tests.faults.conftest import sign_in

pytestmark = pytest.mark.faults

# the app's waits for this test: 1 s to connect, 1 s per statement (the server's own limit),
# and so at most a few seconds before a request gives up on a server that does not answer
WAITS = {"DB_CONNECT_TIMEOUT_S": 1, "DB_STATEMENT_TIMEOUT_S": 1}


def test_frozen_postgres_gives_503s_within_the_waits_then_recovers(
    hospital_on_throwaway_postgres, throwaway_postgres
):
    app, _ = hospital_on_throwaway_postgres("carepath_frozen", **WAITS)
    client = app.test_client()
    desk = {"Authorization": f"Bearer {sign_in(client)}"}
    nurse = {"Authorization": f"Bearer {sign_in(client, 'nurse')}"}
    first = client.post("/api/v1/journeys", json=check_in_body("ECG", visit="VF1", mrn="MF1"), headers=desk)
    assert first.status_code == 201, first.json

    requests = ThreadPoolExecutor(max_workers=3)
    throwaway_postgres.freeze()
    try:
        started = time.monotonic()
        waiting = [
            requests.submit(
                client.post,
                "/api/v1/journeys",
                json=check_in_body("ECG", visit="VF2", mrn="MF2"),
                headers=desk,
            ),
            requests.submit(client.get, f"/api/v1/journeys/{first.json['id']}", headers=nurse),
            requests.submit(client.get, "/readyz"),
        ]
        answers = [future.result(timeout=30) for future in waiting]
        took = time.monotonic() - started
    finally:
        throwaway_postgres.thaw()
        requests.shutdown()

    assert [a.status_code for a in answers] == [503, 503, 503], [a.json for a in answers]
    print(f"frozen database: three requests answered 503 in {took:.1f} s")
    assert took < 10, f"requests waited {took:.1f} s on a frozen database"
    assert answers[0].headers["Retry-After"] == answers[1].headers["Retry-After"] == "5"
    assert answers[0].json["message"].startswith("the database is not available")
    assert answers[2].json["database"] == "unavailable"

    after = client.post("/api/v1/journeys", json=check_in_body("ECG", visit="VF2", mrn="MF2"), headers=desk)
    assert after.status_code == 201, after.json  # the same app: its pool threw the stuck connections away
    assert client.get("/readyz").json["database"] == "ok"
