"""The pages in a real browser: a patient follows steps on the phone; reception checks someone in."""

from __future__ import annotations

import pytest

from tests.staff_pages import sign_in

pytestmark = pytest.mark.browser


def test_patient_phone_page_shows_next_step_in_chinese_and_english(
    live_server, page, check_in, client, nurse
):
    journey = check_in("GLU", "US-ABD", "ECG", fasting_confirmed=True)
    page.goto(f"{live_server}/p/{journey['access_token']}")
    page.wait_for_selector("#next:not([hidden])")
    assert page.inner_text("#next-label") == "下一步"
    assert page.inner_text("#next-name") == "缴费（收费处或手机支付）"
    assert "A1-02" in page.inner_text("#next-where")
    page.click("#route-summary")  # directions from the entrance, in Chinese
    assert "步行约" in page.inner_text("#route-summary")
    assert "到达" in page.locator("#route-steps li").last.inner_text()
    page.wait_for_function(
        "[...document.querySelectorAll('#route-maps img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    # each floor plan's text alternative names its floor
    assert page.eval_on_selector_all("#route-maps img", "imgs => imgs.map(i => i.alt)") == ["门诊楼1楼"]
    page.click("#next-done")  # 我已缴费
    page.wait_for_function("document.querySelector('#next-name').textContent.includes('抽血')")
    assert "空腹" in page.inner_text("#next-name")
    assert "请勿进食" in page.inner_text("#next-note")
    assert page.is_visible("#next-here")
    page.click("#lang")
    assert page.inner_text("#next-label") == "Your next step"
    assert "Blood draw" in page.inner_text("#next-name")
    assert "Floor 2" in page.inner_text("#next-where")
    page.click("#next-here")
    page.wait_for_function("document.querySelector('#next-note').textContent.includes('wait to be called')")
    assert "Your number 001" in page.inner_text("#next-ticket")
    assert page.is_hidden("#next-here")
    called = client.post("/api/v1/queues/rooms/A2-01/call-next", json={"desk": 3}, headers=nurse)
    assert called.status_code == 200
    # no reload: the page hears the call on its live stream
    page.wait_for_function(
        "document.querySelector('#next-ticket').textContent.includes('desk 3')", timeout=10000
    )
    assert "Please go to room A2-01, desk 3" in page.inner_text("#next-ticket")
    steps = page.locator("#steps li").all_inner_texts()
    assert steps[0].startswith("Pay") and "Done" in steps[0]
    font_px = page.eval_on_selector("#next-name", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert font_px >= 30  # large enough for elderly patients on a phone


def test_patient_page_with_a_forged_link_says_so(live_server, page):
    page.goto(f"{live_server}/p/pt_1_{'x' * 43}")
    page.wait_for_function("document.querySelector('#invalid-text').textContent.includes('服务台')")
    assert page.is_hidden("#next")


def test_reception_checks_a_patient_in_and_gets_a_qr_code(live_server, page):
    sign_in(page, live_server, "/reception", "reception")
    page.fill("[name=visit_number]", "V2026-0001")
    page.fill("[name=mrn]", "MRN-88")
    page.fill("[name=name]", "Wang Fang")
    page.select_option("[name=mobility]", "wheelchair")
    page.fill("#order-filter", "ultra")
    page.check("input[value=US-ABD]")
    page.fill("#order-filter", "")
    page.check("input[value=ECG]")
    page.click("#checkin button[type=submit]")
    page.wait_for_selector("#result:not([hidden])")
    assert page.inner_text("#link").startswith("https://carepath.test/p/pt_")
    assert page.locator("#qr svg").count() == 1
    assert "Abdominal ultrasound" in page.inner_text("#result-steps")


def test_reception_sees_whose_phone_missed_a_message(live_server, page, session, check_in):
    from notifications import OutboxMessage

    journey = check_in("ECG", visit="V-MISSED", mrn="M9", name="Zhou Min")
    missed = session.query(OutboxMessage).filter_by(journey_id=journey["id"], event="next_step").one()
    missed.status, missed.attempts = "failed", 8  # what the dispatcher leaves when it gives up
    session.commit()
    sign_in(page, live_server, "/reception", "reception")
    page.wait_for_selector("#undelivered:not([hidden])")
    assert "V-MISSED · Zhou Min · Next step · 下一步" in page.inner_text("#undelivered-list")


def test_reception_sees_which_order_is_wrong(live_server, page):
    sign_in(page, live_server, "/reception", "reception")
    page.fill("[name=visit_number]", "V1")
    page.fill("[name=mrn]", "M1")
    page.fill("[name=name]", "Zhao Lei")
    page.check("input[value=COLONO]")
    page.check("input[value=BA-UGI]")
    page.click("#checkin button[type=submit]")
    page.wait_for_function("document.querySelector('#checkin .error').textContent.includes('same day')")


def test_the_phone_asks_about_fasting_and_plans_the_blood_draw_after_a_yes(live_server, page, check_in):
    journey = check_in("GLU", "ECG", language="en")
    page.goto(f"{live_server}/p/{journey['access_token']}")
    page.wait_for_selector("#fasting:not([hidden])")
    assert "eaten anything since last night" in page.inner_text("#fasting-question")
    page.click("#fasting-yes")
    page.wait_for_selector("#fasting", state="hidden")
    draw = page.locator("#steps li[data-key='draw:blood']").inner_text()
    assert "Blood draw" in draw and ":" in draw.split("·")[-1]  # now has a planned time


def test_a_patient_who_has_eaten_gives_the_time_and_may_then_eat(
    live_server, chromium, clock, session, check_in
):
    journey = check_in("LIPID", "ECG", language="en")
    # a phone in the hospital's timezone, at the hospital's clock (08:30 in Shanghai)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        page.clock.set_fixed_time(clock())
        page.goto(f"{live_server}/p/{journey['access_token']}")
        page.wait_for_selector("#fasting:not([hidden])")
        page.click("#fasting-no")
        assert "What time did you last eat?" in page.inner_text("#fasting-question")
        assert page.input_value("#fasting-time") == "08:30"  # now, to be corrected
        page.fill("#fasting-time", "07:30")
        page.click("#fasting-send")
        page.wait_for_selector("#fasting", state="hidden")
        # breakfast at 07:30: the 12-hour fast for the lipid test cannot end before the lab closes
        meal = page.locator("#steps li[data-key='meal']").inner_text()
        assert "Ready" in meal
        draw = page.locator("#steps li[data-key='draw:blood']").inner_text()
        assert "·" not in draw  # no planned time today
        from navigation.models import Journey

        session.expire_all()
        assert session.get(Journey, journey["id"]).last_meal_at.isoformat() == "2026-11-24T23:30:00+00:00"
    finally:
        context.close()
