"""The ordering doctor's words to the patient (FHIR ServiceRequest.patientInstruction) are on
the phone with the step they are about (issue 15), in the browser."""

from __future__ import annotations

import pytest

from tests.interfaces.conftest import bundle, order

pytestmark = pytest.mark.browser

WORDS = "请穿宽松上衣 · Wear a loose top"


def test_the_doctors_instruction_shows_with_its_step(
    client, reception, post_bundle, live_server, page, clock
):
    answer = post_bundle(bundle(order("11524-6", "ORD-1", patientInstruction=WORDS)))
    journey = client.get(f"/{answer['entry'][1]['response']['location']}", headers=reception).json
    steps = {t["key"]: t for t in journey["tasks"]}
    assert steps["exam:ECG"]["instructions"] == [WORDS] and steps["payment"]["instructions"] == []
    page.clock.set_fixed_time(clock())
    page.goto(f"{live_server}/p/{journey['access_token']}")
    page.wait_for_selector("#next:not([hidden])")
    assert page.is_hidden("#next-instruction")  # paying first: the doctor said nothing about it
    page.click("#next-done")
    page.wait_for_selector("#next-instruction:not([hidden])")
    assert steps["exam:ECG"]["name_zh"] in page.inner_text("#next-name")
    assert WORDS in page.inner_text("#next-instruction")
