"""Staff sessions end: an access token lives minutes and is renewed with a refresh token, and
the refresh token stops working when its holder signs out, is disabled or gets a new password."""

from __future__ import annotations

from datetime import timedelta

import jwt
from flask_jwt_extended import create_access_token

LOGIN, REFRESH, LOGOUT = "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"
ROOMS = "/api/v1/queues/rooms"  # any nurse's request


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sign_in(client, username: str = "nurse") -> dict:
    answer = client.post(LOGIN, json={"username": username, "password": "demo"})
    assert answer.status_code == 200, answer.json
    return answer.json


def _lifetime(token: str) -> int:
    claims = jwt.decode(token, options={"verify_signature": False})
    return claims["exp"] - claims["iat"]


def test_sign_in_gives_a_short_lived_access_token_and_a_refresh_token(client):
    answer = _sign_in(client)
    assert answer["expires_in"] == 15 * 60 == _lifetime(answer["access_token"])
    assert _lifetime(answer["refresh_token"]) == 12 * 3600  # a working shift
    assert answer["idle_timeout"] == 15 * 60  # staff pages sign out after this long unused
    assert client.get(ROOMS, headers=_bearer(answer["access_token"])).status_code == 200


def test_an_expired_access_token_is_renewed_with_the_refresh_token(client, app):
    answer = _sign_in(client)
    expired = create_access_token(
        identity=jwt.decode(answer["access_token"], options={"verify_signature": False})["sub"],
        expires_delta=timedelta(seconds=-1),
    )
    refused = client.get(ROOMS, headers=_bearer(expired))
    assert refused.status_code == 401 and "expired" in refused.json["message"]
    renewed = client.post(REFRESH, headers=_bearer(answer["refresh_token"]))
    assert renewed.status_code == 200, renewed.json
    assert renewed.json["expires_in"] == 15 * 60 and "refresh_token" not in renewed.json
    assert client.get(ROOMS, headers=_bearer(renewed.json["access_token"])).status_code == 200


def test_each_token_does_only_its_own_job(client):
    answer = _sign_in(client)
    assert client.post(REFRESH, headers=_bearer(answer["access_token"])).status_code == 401
    assert client.get(ROOMS, headers=_bearer(answer["refresh_token"])).status_code == 401
    assert client.post(REFRESH).status_code == 401


def test_signing_out_ends_that_session_only(client):
    desk_1, desk_2 = _sign_in(client), _sign_in(client)
    assert client.post(LOGOUT, headers=_bearer(desk_1["refresh_token"])).status_code == 204
    ended = client.post(REFRESH, headers=_bearer(desk_1["refresh_token"]))
    assert ended.status_code == 401 and "sign in again" in ended.json["message"]
    assert client.post(REFRESH, headers=_bearer(desk_2["refresh_token"])).status_code == 200
    assert client.post(LOGOUT, headers=_bearer(desk_1["refresh_token"])).status_code == 204  # twice: no harm


def test_disabling_an_account_ends_its_sessions_for_good(client, admin):
    nurse = _sign_in(client)
    assert client.patch("/api/v1/staff/nurse", json={"active": False}, headers=admin).status_code == 200
    assert client.post(REFRESH, headers=_bearer(nurse["refresh_token"])).status_code == 401
    assert client.patch("/api/v1/staff/nurse", json={"active": True}, headers=admin).status_code == 200
    # enabled again, the account signs in afresh: the old session stays over
    assert client.post(REFRESH, headers=_bearer(nurse["refresh_token"])).status_code == 401
    assert client.post(REFRESH, headers=_bearer(_sign_in(client)["refresh_token"])).status_code == 200


def test_a_new_password_signs_out_the_old_sessions(client, admin):
    nurse = _sign_in(client)
    changed = client.patch(
        "/api/v1/staff/nurse", json={"password": "a ward kettle sings at nine"}, headers=admin
    )
    assert changed.status_code == 200, changed.json
    assert client.post(REFRESH, headers=_bearer(nurse["refresh_token"])).status_code == 401
