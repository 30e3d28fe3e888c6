"""A whole day at the hospital's clock, as patients see it on their phones in Chromium, in
Chinese and in English (issue 10, "Done when"): fasting unknown at check-in, an early arrival
at a contrast CT, "I have my reports" before the report exists, a room pause that moves a
patient, and an evening check-in. Every text a patient sees is in their language, with times
as HH:MM, never an ISO timestamp nor a nurse's words."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import T0

pytestmark = pytest.mark.browser

ISO = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORD = re.compile(r"\b[A-Z]?[a-z]{2,}\b")  # "room", "Your": acronyms such as CT or eGFR pass
LOADED = """() => document.getElementById('status').textContent === ''
    && ['next', 'finished', 'fasting'].some((id) => !document.getElementById(id).hidden)"""


class Phone:
    """One patient's phone page at the hospital's clock; every text it shows is checked."""

    def __init__(self, chromium, live_server, clock, language: str):
        self.context = chromium.new_context(
            viewport={"width": 390, "height": 844}, timezone_id="Asia/Shanghai"
        )
        self.page = self.context.new_page()
        self.live_server, self.clock, self.language = live_server, clock, language

    def open(self, journey: dict) -> str:
        self.page.clock.set_fixed_time(self.clock())
        self.page.goto(f"{self.live_server}/p/{journey['access_token']}")
        self.page.wait_for_function(LOADED)
        return self.text()

    def text(self) -> str:
        shown = self.page.inner_text("main")
        assert not ISO.search(shown), shown
        if self.language == "zh":
            assert ENGLISH_WORD.findall(shown) == [], shown
        else:
            assert not CJK.search(shown), shown
        return shown

    def tap(self, selector: str) -> str:
        self.page.click(selector)
        self.page.wait_for_function("document.getElementById('status').textContent !== ''")
        return self.text()


def hhmm(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")


def steps(journey: dict) -> dict[str, dict]:
    return {t["key"]: t for t in journey["tasks"]}


WORDS = {
    "zh": {"maintenance": "维护", "tomorrow": "明天 07:30"},
    "en": {"maintenance": "maintenance", "tomorrow": "tomorrow before 07:30"},
}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_whole_day_tells_every_patient_the_right_thing(
    language, live_server, chromium, client, nurse, clock, check_in
):
    words = WORDS[language]
    phone = Phone(chromium, live_server, clock, language)
    visits = iter(range(1, 10))

    def patient(*codes: str, **details) -> tuple[dict, dict, str]:
        n = next(visits)
        journey = check_in(
            *codes, visit=f"{language}-{n}", mrn=f"{language}-{n}", language=language, **details
        )
        url = f"/api/v1/journeys/{journey['id']}"
        return journey, {"Authorization": f"Bearer {journey['access_token']}"}, url

    def name(task: dict) -> str:
        return task["name_zh"] if language == "zh" else task["name_en"]

    try:
        # 09:00, fasting unknown: the question first (or paying), never "eat" nor "reports"
        clock.advance(minutes=30)
        a, _, _ = patient("GLU", "LIPID", "US-ABD", "CT-ABD-C", "FOLLOWUP")
        shown = phone.open(a)
        assert phone.page.is_visible("#fasting")
        for later in ("meal", "report"):
            assert name(steps(a)[later]) not in phone.page.inner_text("#next")
        phone.page.click("#fasting-yes")
        phone.page.wait_for_selector("#fasting", state="hidden")
        assert phone.page.inner_text("#next-name") not in (name(steps(a)["meal"]), name(steps(a)["report"]))
        phone.text()

        # a contrast CT waits for the kidney result: "I'm here" too early is told the time
        b, me, url = patient("CT-ABD-C", fasting_confirmed=True)
        client.post(f"{url}/tasks/{steps(b)['payment']['id']}/complete", headers=me)
        draw = steps(b)["draw:blood"]
        assert client.post(f"{url}/tasks/{draw['id']}/arrive", headers=me).status_code == 200
        called = client.post(f"/api/v1/queues/rooms/{draw['room']['code']}/call-next", json={}, headers=nurse)
        clock.advance(minutes=2)
        client.post(f"/api/v1/queues/entries/{called.json['entry']['id']}/complete", headers=nurse)
        clock.advance(minutes=20)
        ct = steps(client.get(url, headers=me).json)["exam:CT-ABD-C"]
        phone.open(b)
        assert name(ct) in phone.page.inner_text("#next-name")
        assert hhmm(ct["not_before"]) in phone.tap("#next-here")

        # the CT is done; "I have my reports" is offered only once the report exists
        clock.advance(minutes=40)
        assert client.post(f"{url}/tasks/{ct['id']}/arrive", headers=me).status_code == 200
        room = ct["room"]["code"]
        called = client.post(f"/api/v1/queues/rooms/{room}/call-next", json={}, headers=nurse)
        assert called.status_code == 200, called.json
        clock.advance(minutes=25)
        done = client.post(f"/api/v1/queues/entries/{called.json['entry']['id']}/complete", headers=nurse)
        assert done.status_code == 200, done.json
        report = steps(b)["report"]
        phone.open(b)
        assert phone.page.is_hidden("#next-done")
        assert client.post(f"{url}/tasks/{report['id']}/complete", headers=me).status_code == 409
        for result in (draw, ct):  # the kidney result and the CT report
            assert client.post(f"{url}/tasks/{result['id']}/result-ready", headers=nurse).status_code == 200
        phone.open(b)
        assert name(report) in phone.page.inner_text("#next-name") and phone.page.is_visible("#next-done")

        # a room pause moves a patient in line: the new ticket and room, and why in their words
        c, me, url = patient("ECG", "XR-CHEST", "PFT", fasting_confirmed=True)
        client.post(f"{url}/tasks/{steps(c)['payment']['id']}/complete", headers=me)
        ecg = steps(client.get(url, headers=me).json)["exam:ECG"]
        assert client.post(f"{url}/tasks/{ecg['id']}/arrive", headers=me).status_code == 200
        paused = client.post(
            f"/api/v1/queues/rooms/{ecg['room']['code']}/pause",
            json={"reason": "leads replaced, ask Dr Wang", "category": "maintenance", "minutes": 30},
            headers=nurse,
        )
        assert paused.status_code == 200, paused.json
        [ticket] = client.get(f"/api/v1/queues/journeys/{c['id']}", headers=me).json
        shown = phone.open(c)
        assert ticket["ticket"] in phone.page.inner_text("#next-ticket") and ticket["room"] in shown
        assert words["maintenance"] in shown and "Wang" not in shown
        client.post(f"/api/v1/queues/rooms/{ecg['room']['code']}/resume", headers=nurse)
        assert words["maintenance"] not in phone.open(c)

        # 20:30: nothing can happen today; come back tomorrow, fasting, and no "eat now"
        clock.now = T0 + timedelta(hours=12)
        e, _, _ = patient("GLU", "ECG")
        shown = phone.open(e)
        assert words["tomorrow"] in shown and phone.page.is_hidden("#next")
        meal = phone.page.inner_text("#steps li[data-key=meal]")
        assert "·" not in meal  # listed, with no time: never "eat now"
    finally:
        phone.context.close()
