"""The patient page in Chromium: "How should we reach you?" lists the channels the patient has an
address for; choosing one saves it, says so, and the next "your turn" goes there."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker

from notifications import Dispatcher
from notifications.dispatcher import DispatchConfig
from notifications.transports.log import LogTransport
from tests.axe import axe_script
from tests.notifications.channel_fakes import PHONE_KEY, running_channels
from tests.test_accessibility import violations
from tests.test_callscreen import waiting_patient

pytestmark = pytest.mark.browser
PHONE = "+8613800138000"


def accessible(page) -> bool:
    """axe-core finds nothing (when axe-core is cached here; tests/test_accessibility.py says so)."""
    script = axe_script()
    return script is None or violations(page, script) == []


def test_the_patient_chooses_sms_on_the_page_and_the_call_arrives_by_sms(
    app, live_server, page, client, session, check_in, reception, nurse, monkeypatch
):
    monkeypatch.setitem(app.config, "PHONE_KEY", PHONE_KEY)
    journey, room = waiting_patient(client, check_in, visit="V-17", mrn="MRN-17")
    base = f"/api/v1/journeys/{journey['id']}"
    patient = {"Authorization": f"Bearer {journey['access_token']}"}
    assert client.put(f"{base}/phone", json={"phone": PHONE}, headers=reception).status_code == 204
    app_token = {"token": "fcm-token-17", "platform": "android"}
    assert client.post(f"{base}/devices", json=app_token, headers=patient).status_code == 204

    page.goto(f"{live_server}/p/{journey['access_token']}")
    page.wait_for_selector("#next:not([hidden])")  # the journey is loaded: the page has its language
    page.wait_for_selector("#channels:not([hidden])")
    assert page.text_content("#channels legend") == "我们如何通知您？"
    labels = page.locator("#channels label").all_text_contents()
    assert labels == ["手机应用", "短信"]  # the app first in the hospital's order; no WeChat, no browser
    assert page.is_checked("#channel-fcm")
    assert accessible(page)

    page.click("#lang")
    assert page.text_content("#channels legend") == "How should we reach you?"
    page.get_by_label("SMS").check()
    page.wait_for_selector("#channels-saved:has-text('Saved: we will reach you by SMS')")
    assert page.is_checked("#channel-sms")
    assert accessible(page)
    page.click("#lang")
    assert page.text_content("#channels-saved") == "已保存：我们将通过短信通知您"

    assert client.get(f"{base}/channels", headers=reception).json["preferred"] == ["sms"]
    page.reload()
    page.wait_for_selector("#channels:not([hidden])")
    assert page.is_checked("#channel-sms")

    called = client.post(f"/api/v1/queues/rooms/{room}/call-next", json={"desk": 1}, headers=nurse)
    assert called.status_code == 200
    with running_channels() as channels:
        transports = [*channels.transports(), LogTransport()]  # the app could be reached too
        Dispatcher(
            sessionmaker(session.get_bind()), transports, DispatchConfig(), clock=app.config["CLOCK"]
        ).run_until_idle()
        for transport in transports:
            getattr(transport, "close", lambda: None)()
        texts = [t for t in channels.sms.texts if t.template_id == "100001"]
    assert [(t.phone, t.params) for t in texts] == [(PHONE, [room, "1"])]
    states = client.get(f"{base}/notifications", headers=nurse).json
    assert {s["channel"] for s in states if s["event"] == "turn_now"} == {"sms"}
