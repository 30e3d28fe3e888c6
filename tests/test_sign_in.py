"""Sign-in under attack: progressive delays per account and address, the proxy's client address,
and wrong usernames answered as slowly as wrong passwords."""

from __future__ import annotations

import statistics
import time

LOGIN = "/api/v1/auth/login"


def _try(client, password: str, address: str = "10.0.0.9", username: str = "nurse", **headers):
    return client.post(
        LOGIN,
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def test_three_wrong_passwords_make_that_address_wait_then_it_grows(client, clock):
    for _ in range(3):
        assert _try(client, "guess").status_code == 401
    held = _try(client, "demo")  # even the right password waits: otherwise guessing goes on
    assert held.status_code == 429 and held.headers["Retry-After"] == "1"
    assert held.json["errors"]["json"]["password"]
    clock.advance(seconds=1)
    assert _try(client, "guess").status_code == 401
    assert _try(client, "demo").headers["Retry-After"] == "2"
    for _ in range(4):  # keep guessing, waiting each time as told
        clock.advance(seconds=int(_try(client, "demo").headers.get("Retry-After", 0)))
        assert _try(client, "guess").status_code == 401
    assert _try(client, "demo").headers["Retry-After"] == "30"  # never more: a delay, not a lock-out
    clock.advance(seconds=30)
    assert _try(client, "demo").status_code == 200
    assert _try(client, "guess").status_code == 401  # success cleared the count
    assert _try(client, "demo").status_code == 200


def test_a_guesser_elsewhere_does_not_hold_up_the_nurse(client):
    for _ in range(6):
        _try(client, "guess", address="203.0.113.66")
    assert _try(client, "guess", address="203.0.113.66").status_code == 429
    assert _try(client, "demo", address="10.1.2.3").status_code == 200


def test_behind_a_proxy_the_forwarded_client_address_counts(app, clock):
    from api import create_app
    from api.extensions import db

    proxied = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "test-secret",
            "JWT_SECRET_KEY": "test-jwt-secret-that-is-long-enough-for-hs256",
            "RATELIMIT_ENABLED": False,
            "PROXY_HOPS": 1,
            "CLOCK": clock,
        }
    )
    client = proxied.test_client()
    proxy = "10.0.0.1"  # every request arrives from the proxy
    try:
        for _ in range(3):
            _try(client, "guess", address=proxy, **{"X-Forwarded-For": "203.0.113.66"})
        assert _try(client, "demo", address=proxy, **{"X-Forwarded-For": "203.0.113.66"}).status_code == 429
        assert _try(client, "demo", address=proxy, **{"X-Forwarded-For": "10.1.2.3"}).status_code == 200
    finally:
        with proxied.app_context():
            db.session.remove()
            db.engine.dispose()


def test_an_unknown_username_answers_as_slowly_as_a_wrong_password(client):
    def seconds(username: str) -> float:
        times = []
        for i in range(5):
            started = time.perf_counter()
            _try(client, "wrong", address=f"10.9.0.{i}", username=username)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    known, unknown = seconds("nurse"), seconds("no-such-user")
    assert unknown > known / 3, (known, unknown)
