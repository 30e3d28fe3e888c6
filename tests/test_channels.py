"""How a patient is reached, through the API: the desk records a phone and the preference, the
page subscribes to Web Push and says what was seen, WeChat binds the openid through its OAuth
(a local fake of WeChat). Messages then go where the patient wants them."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from notifications import Dispatcher, OutboxMessage
from notifications.devices import Device
from notifications.dispatcher import DispatchConfig
from notifications.transports.wechat import WeChatConfig
from tests.notifications.channel_fakes import Channels, running_channels

PHONE = "+8613800138000"


@pytest.fixture
def channels():
    with running_channels() as running:
        yield running


def bearer(journey: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {journey['access_token']}"}


def test_reception_records_phone_and_preference_and_the_number_is_kept_secret(
    client, session, check_in, reception, caplog
):
    caplog.set_level(logging.DEBUG)
    journey = check_in("ECG")
    base = f"/api/v1/journeys/{journey['id']}"

    assert client.put(f"{base}/phone", json={"phone": "138 0013 8000"}, headers=reception).status_code == 204
    answer = client.put(f"{base}/channels", json={"channels": ["sms", "wechat"]}, headers=reception)

    assert answer.status_code == 200
    assert answer.json == {
        "preferred": ["sms", "wechat"],
        "order": ["sms", "wechat", "fcm", "webpush"],
        "reachable": ["sms"],
    }
    stored = session.scalar(sa.select(Device.token).where(Device.journey_id == journey["id"]))
    assert "13800138000" not in stored and "8000" not in stored
    assert "13800138000" not in caplog.text
    # the patient may change it on the phone
    mine = client.put(f"{base}/channels", json={"channels": ["webpush"]}, headers=bearer(journey))
    assert mine.json["preferred"] == ["webpush"]


def test_bad_channels_and_numbers_are_refused_naming_the_field(client, check_in, reception):
    journey = check_in("ECG")
    base = f"/api/v1/journeys/{journey['id']}"
    twice = client.put(f"{base}/channels", json={"channels": ["sms", "sms"]}, headers=reception)
    unknown = client.put(f"{base}/channels", json={"channels": ["pigeon"]}, headers=reception)
    phone = client.put(f"{base}/phone", json={"phone": "not a number"}, headers=reception)
    assert (twice.status_code, list(twice.json["errors"]["json"])) == (422, ["channels"])
    assert unknown.status_code == 422 and "channels" in unknown.json["errors"]["json"]
    assert (phone.status_code, list(phone.json["errors"]["json"])) == (422, ["phone"])


def test_wechat_binds_the_openid_through_oauth_and_the_call_arrives_in_wechat(
    app, client, session, check_in, channels: Channels, monkeypatch, nurse
):
    config = WeChatConfig.from_environment(channels.environ)
    monkeypatch.setitem(app.config, "WECHAT", config)
    journey = check_in("ECG")
    base = f"/api/v1/journeys/{journey['id']}"

    authorize = client.post(f"{base}/wechat/authorize", headers=bearer(journey)).json["authorize_url"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["redirect_uri"] == ["https://carepath.test/api/v1/wechat/callback"]
    assert query["scope"] == ["snsapi_base"] and authorize.endswith("#wechat_redirect")
    channels.wechat.grant("code-1", "openid-li-wei")  # the patient agreed inside WeChat

    bound = client.get("/api/v1/wechat/callback", query_string={"code": "code-1", "state": query["state"][0]})
    replayed = client.get(
        "/api/v1/wechat/callback", query_string={"code": "code-1", "state": query["state"][0]}
    )
    forged = client.get("/api/v1/wechat/callback", query_string={"code": "code-2", "state": "forged"})

    assert bound.status_code == 200 and bound.json["channel"] == "wechat"
    assert (replayed.status_code, list(replayed.json["errors"]["json"])) == (422, ["code"])
    assert (forged.status_code, list(forged.json["errors"]["json"])) == (422, ["state"])
    assert client.get(f"{base}/channels", headers=bearer(journey)).json["reachable"] == ["wechat"]

    # the patient pays, waits at the ECG room and is called: WeChat carries "your turn"
    pay = next(t for t in journey["tasks"] if t["key"] == "payment")
    ecg = next(t for t in journey["tasks"] if t["key"] == "exam:ECG")
    client.post(f"{base}/tasks/{pay['id']}/complete", headers=bearer(journey))
    room = client.post(f"{base}/tasks/{ecg['id']}/arrive", headers=bearer(journey)).json["room"]["code"]
    called = client.post(f"/api/v1/queues/rooms/{room}/call-next", json={"desk": 1}, headers=nurse)
    assert called.status_code == 200, called.json
    transports = channels.transports()
    clock = app.config["CLOCK"]
    Dispatcher(sessionmaker(session.get_bind()), transports, DispatchConfig(), clock=clock).run_until_idle()
    for transport in transports:
        transport.close()

    call = next(s for s in channels.wechat.sent if s.template_id == "TPL-TURN")
    assert (call.openid, call.data["character_string2"], call.data["number3"]) == ("openid-li-wei", room, "1")
    states = client.get(f"{base}/notifications", headers=nurse).json
    assert {s["channel"] for s in states if s["event"] == "turn_now"} == {"wechat"}

    board = client.get(f"/api/v1/queues/rooms/{room}", headers=nurse).json
    [called] = [e for e in board["entries"] if e["journey_id"] == journey["id"]]
    assert called["not_seen"] is True  # the nurse board: "not yet seen"
    seen = client.post(f"{base}/seen", json={}, headers=bearer(journey))
    assert seen.status_code == 200 and seen.json["seen"] >= 1
    board = client.get(f"/api/v1/queues/rooms/{room}", headers=nurse).json
    assert [e["not_seen"] for e in board["entries"] if e["journey_id"] == journey["id"]] == [False]
    assert (
        session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.seen_at.is_(None))
        )
        == 0
    )


def test_the_page_subscribes_to_web_push_with_the_hospitals_key(app, client, check_in, channels, monkeypatch):
    from notifications.transports.webpush import VapidConfig

    config = VapidConfig.from_environment(channels.environ)
    monkeypatch.setitem(app.config, "VAPID", config)
    journey = check_in("ECG")
    key = client.get("/api/v1/webpush/public-key").json["public_key"]
    subscription = channels.push.subscribe()

    answer = client.post(
        f"/api/v1/journeys/{journey['id']}/push-subscriptions",
        json={**subscription, "expirationTime": None},
        headers=bearer(journey),
    )
    bad = client.post(
        f"/api/v1/journeys/{journey['id']}/push-subscriptions",
        json={"endpoint": "ftp://x", "keys": {"p256dh": "a", "auth": "b"}},
        headers=bearer(journey),
    )

    assert key == config.public_key()
    assert answer.status_code == 204
    assert (bad.status_code, list(bad.json["errors"]["json"])) == (422, ["endpoint"])
    reachable = client.get(f"/api/v1/journeys/{journey['id']}/channels", headers=bearer(journey)).json[
        "reachable"
    ]
    assert reachable == ["webpush"]
