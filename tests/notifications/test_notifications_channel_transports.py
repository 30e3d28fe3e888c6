"""WeChat, Tencent SMS and Web Push transports, each against a local fake of its service:
WeChat's HTTP API through httpx, the real tencentcloud SMS SDK, the real pywebpush."""

import json
import logging
import os
from collections.abc import Iterator

import fakeredis
import pytest
import redis
from py_vapid import Vapid, b64urlencode

from notifications.events import Priority
from notifications.phones import PhoneCipher
from notifications.transports.base import Outcome, Outgoing
from notifications.transports.sms import SmsConfig, SmsTransport
from notifications.transports.templated import parse_templates
from notifications.transports.webpush import VapidConfig, WebPushTransport
from notifications.transports.wechat import WeChatConfig, WeChatTransport
from tests.notifications.fake_push_service import FakePushService
from tests.notifications.fake_sms import FakeTencentSms
from tests.notifications.fake_wechat import FakeWeChat

WECHAT_TEMPLATES = json.dumps(
    {
        "turn_now": {
            "template_id": "TPL-TURN",
            "fields": {"thing1": "{title}", "character_string2": "{room}", "number3": "{desk}"},
        },
        "*": {"template_id": "TPL-ANY", "fields": {"thing1": "{title}", "thing2": "{body}"}},
    }
)
SMS_TEMPLATES = json.dumps({"turn_now": {"template_id": "100001", "params": ["{room}", "{desk}"]}})
PHONE = "+8613800138000"


def outgoing(address: str, event: str = "turn_now", event_id: str = "ev-1", **params: str) -> Outgoing:
    return Outgoing(
        address=address,
        platform="wechat",
        event_id=event_id,
        journey_id=42,
        step_id="7",
        title="It's your turn",
        body="Open CarePath for details.",
        priority=Priority.HIGH,
        ttl_seconds=180,
        replace_tag=None,
        event=event,
        detail="It's your turn: Room 3-12, desk 2.",
        params=params or {"room": "3-12", "desk": "2"},
    )


def redis_clients(count: int) -> list[redis.Redis]:
    """Separate connections, as separate processes would have: the run's Redis, or one fake."""
    if os.environ.get("REDIS_URL"):
        clients = [redis.Redis.from_url(os.environ["REDIS_URL"]) for _ in range(count)]
        clients[0].delete("carepath:wechat:access-token:wx-test-app")
        return clients
    server = fakeredis.FakeServer()
    return [fakeredis.FakeRedis(server=server) for _ in range(count)]


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChat]:
    with FakeWeChat() as fake:
        yield fake


@pytest.fixture
def closing() -> Iterator[list]:
    """Transports a test opened, closed after it (their HTTP connections)."""
    opened: list = []
    yield opened
    for transport in opened:
        transport.close()


def wechat(fake: FakeWeChat, store: redis.Redis | None, mode: str = "template") -> WeChatTransport:
    environ = {
        "CAREPATH_WECHAT_APPID": fake.appid,
        "CAREPATH_WECHAT_SECRET": fake.secret,
        "CAREPATH_WECHAT_TEMPLATES": WECHAT_TEMPLATES,
        "CAREPATH_WECHAT_API": fake.url,
        "CAREPATH_WECHAT_MODE": mode,
        "CAREPATH_WECHAT_PAGE": "pages/journey/index",
    }
    transport = WeChatTransport.from_environment(environ, store)
    assert transport is not None
    return transport


def test_wechat_fills_the_configured_template_and_maps_each_error(
    fake_wechat: FakeWeChat, closing: list
) -> None:
    transport = wechat(fake_wechat, None)
    closing.append(transport)
    fake_wechat.gone.add("o-gone")
    fake_wechat.refused.add("o-refused")
    fake_wechat.script("o-quota", 45009)
    fake_wechat.script("o-busy", -1)
    fake_wechat.script("o-badtpl", 40037)

    results = transport.send(
        [
            outgoing(o, event_id=f"ev-{o}")
            for o in ["o-ok", "o-gone", "o-refused", "o-quota", "o-busy", "o-badtpl"]
        ]
    )

    assert [r.outcome for r in results] == [
        Outcome.ACKNOWLEDGED,
        Outcome.ADDRESS_GONE,  # invalid openid: unbind
        Outcome.ADDRESS_GONE,  # the user refused: stop
        Outcome.RETRY,  # daily quota: later
        Outcome.RETRY,
        Outcome.REJECTED,  # a wrong template id: the configuration must be fixed
    ]
    assert results[3].retry_after == 600
    first = next(s for s in fake_wechat.sent if s.openid == "o-ok")
    assert (first.kind, first.template_id, first.client_msg_id) == ("template", "TPL-TURN", "ev-o-ok")
    assert first.data == {"thing1": "It's your turn", "character_string2": "3-12", "number3": "2"}
    assert fake_wechat.tokens_issued == 1


def test_wechat_uses_the_catch_all_template_and_refuses_an_event_without_one(
    fake_wechat: FakeWeChat, closing: list
) -> None:
    transport = wechat(fake_wechat, None, mode="subscribe")
    closing.append(transport)
    ok = transport.send([outgoing("o-1", event="journey_started", event_id="ev-a")])
    assert ok[0].outcome is Outcome.ACKNOWLEDGED
    assert fake_wechat.sent[0].kind == "subscribe"
    assert fake_wechat.sent[0].data == {"thing1": "It's your turn", "thing2": "Open CarePath for details."}

    transport.config = WeChatConfig(
        **{**transport.config.__dict__, "templates": parse_templates(SMS_TEMPLATES)}
    )
    refused = transport.send([outgoing("o-1", event="journey_started", event_id="ev-b")])
    assert refused[0].outcome is Outcome.REJECTED
    assert "no template configured for journey_started" in (refused[0].error or "")


def test_wechat_access_token_is_shared_across_processes_and_refreshed_once_when_expired(
    fake_wechat: FakeWeChat,
    closing: list,
) -> None:
    first_store, second_store = redis_clients(2)
    first, second = wechat(fake_wechat, first_store), wechat(fake_wechat, second_store)
    closing += [first, second]

    first.send([outgoing("o-1", event_id="ev-1")])
    second.send([outgoing("o-2", event_id="ev-2")])
    assert fake_wechat.tokens_issued == 1  # the second process read the token from Redis

    fake_wechat.expire_tokens()  # WeChat answers 40001 to the cached token
    results = first.send([outgoing("o-3", event_id="ev-3")]) + second.send([outgoing("o-4", event_id="ev-4")])

    assert [r.outcome for r in results] == [Outcome.ACKNOWLEDGED, Outcome.ACKNOWLEDGED]
    assert fake_wechat.tokens_issued == 2  # one refresh, seen and reused by the other process
    assert sorted(fake_wechat.delivered()) == ["ev-1", "ev-2", "ev-3", "ev-4"]


@pytest.fixture
def fake_sms() -> Iterator[FakeTencentSms]:
    with FakeTencentSms() as fake:
        yield fake


@pytest.fixture
def cipher() -> PhoneCipher:
    return PhoneCipher("test-phone-key")


def sms(fake: FakeTencentSms, cipher: PhoneCipher, templates: str = SMS_TEMPLATES) -> SmsTransport:
    config = SmsConfig(
        secret_id="AKID-test",
        secret_key="secret",
        sdk_app_id="1400000001",
        sign_name="CarePath医院",
        templates=parse_templates(templates),
        endpoint=fake.host,
        scheme="http",
    )
    return SmsTransport(config, cipher)


def test_sms_sends_the_configured_template_through_the_tencent_sdk_and_maps_codes(
    fake_sms: FakeTencentSms,
    cipher: PhoneCipher,
    caplog: pytest.LogCaptureFixture,
    closing: list,
) -> None:
    caplog.set_level(logging.DEBUG)
    transport = sms(fake_sms, cipher)
    closing.append(transport)
    numbers = [PHONE, "+8613900000001", "+8613900000002", "+8613900000003", "+8613900000004"]
    fake_sms.script(numbers[1], "InvalidParameterValue.IncorrectPhoneNumber")
    fake_sms.script(numbers[2], "FailedOperation.PhoneNumberInBlacklist")
    fake_sms.script(numbers[3], "LimitExceeded.PhoneNumberThirtySecondLimit")
    fake_sms.script(numbers[4], "FailedOperation.TemplateIncorrectOrUnapproved")

    results = transport.send([outgoing(cipher.encrypt(n), event_id=f"ev-{i}") for i, n in enumerate(numbers)])

    assert [r.outcome for r in results] == [
        Outcome.ACKNOWLEDGED,
        Outcome.ADDRESS_GONE,
        Outcome.ADDRESS_GONE,  # unsubscribed (TD): stop texting this number
        Outcome.RETRY,
        Outcome.REJECTED,
    ]
    assert results[3].retry_after == 30
    text = next(t for t in fake_sms.texts if t.phone == PHONE)
    assert (text.phone, text.template_id, text.params, text.sign_name) == (
        PHONE,
        "100001",
        ["3-12", "2"],
        "CarePath医院",
    )
    assert text.session_context == "ev-0"
    assert fake_sms.signed == len(numbers)  # the SDK signed every request (TC3-HMAC-SHA256)
    # The number is in no log line or error, not even the SDK's debug log or the provider's message.
    for n in numbers:
        assert n not in caplog.text and n[3:] not in caplog.text
        assert all(n[3:] not in (r.error or "") for r in results)


def test_sms_request_errors_are_retried_and_a_number_under_another_key_is_refused(
    fake_sms: FakeTencentSms,
    cipher: PhoneCipher,
    closing: list,
) -> None:
    transport = sms(fake_sms, cipher)
    closing.append(transport)
    fake_sms.fail_requests("InternalError.Timeout", "FailedOperation.SignatureIncorrectOrUnapproved")

    messages = [
        outgoing(cipher.encrypt(PHONE), event_id="a"),
        outgoing(cipher.encrypt(PHONE), event_id="b"),
        outgoing(PhoneCipher("another-key").encrypt(PHONE), event_id="c"),
    ]
    results = [transport.send([message])[0] for message in messages]  # one by one: errors in order

    assert [r.outcome for r in results] == [Outcome.RETRY, Outcome.REJECTED, Outcome.REJECTED]
    assert len(fake_sms.texts) == 0


def test_sms_unreachable_service_is_retried(cipher: PhoneCipher, closing: list) -> None:
    with FakeTencentSms() as fake:
        transport = sms(fake, cipher)
        closing.append(transport)
    results = transport.send([outgoing(cipher.encrypt(PHONE))])  # the server is gone now
    assert results[0].outcome is Outcome.RETRY


def test_phone_numbers_are_normalised_and_stored_only_encrypted(cipher: PhoneCipher) -> None:
    token = cipher.encrypt("138 0013 8000")
    assert "13800138000" not in token
    assert cipher.decrypt(token) == PHONE
    with pytest.raises(ValueError, match="mobile number"):
        cipher.encrypt("call me maybe")


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    with FakePushService() as fake:
        yield fake


@pytest.fixture
def vapid_key() -> str:
    key = Vapid()
    key.generate_keys()
    return b64urlencode(key.private_key.private_numbers().private_value.to_bytes(32, "big"))


def test_web_push_reaches_the_browser_encrypted_with_vapid(
    push_service: FakePushService, vapid_key: str, closing: list
) -> None:
    transport = WebPushTransport(VapidConfig(vapid_key, "mailto:it@hospital.example"))
    closing.append(transport)
    subscription = push_service.subscribe()

    results = transport.send([outgoing(json.dumps(subscription), event_id="ev-web")])

    assert results[0].outcome is Outcome.ACKNOWLEDGED
    push = push_service.pushes[0]
    assert push.payload == {
        "event_id": "ev-web",
        "journey_id": "42",
        "step_id": "7",
        "title": "It's your turn",
        "body": "Open CarePath for details.",
        "tag": None,
    }
    assert push.headers["ttl"] == "180" and push.headers["urgency"] == "high"
    assert push.vapid_audience == push_service.url
    assert f"k={transport.config.public_key()}" in push.headers["authorization"]


def test_web_push_errors_become_outcomes(
    push_service: FakePushService, vapid_key: str, closing: list
) -> None:
    transport = WebPushTransport(VapidConfig(vapid_key, "mailto:it@hospital.example"))
    closing.append(transport)
    subs = [push_service.subscribe() for _ in range(4)]
    names = [s["endpoint"].rsplit("/", 1)[1] for s in subs]
    push_service.gone.add(names[0])
    push_service.script(names[1], (429, {"Retry-After": "45"}))
    push_service.script(names[2], 503)
    push_service.script(names[3], 413)

    results = transport.send([outgoing(json.dumps(s)) for s in subs] + [outgoing('{"endpoint": 3}')])

    assert [r.outcome for r in results] == [
        Outcome.ADDRESS_GONE,
        Outcome.RETRY,
        Outcome.RETRY,
        Outcome.REJECTED,
        Outcome.ADDRESS_GONE,  # not a subscription at all
    ]
    assert results[1].retry_after == 45
