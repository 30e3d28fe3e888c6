"""The department head's dashboard in Chromium, with a morning in progress (screenshots kept)."""

from __future__ import annotations

import base64
import re

import pytest

from tests import staff_pages
from tests.day import Day

pytestmark = pytest.mark.browser


@pytest.fixture
def morning(client, clock, reception, nurse) -> Day:
    day = Day(client, clock, reception, nurse)
    day.check_in(6)
    day.run(5, minutes=6)
    return day


def sign_in(page, base: str, username: str) -> None:
    staff_pages.sign_in(page, base, "/dashboard", username)
    page.wait_for_function("document.getElementById('patients').textContent !== '–'")


@pytest.mark.parametrize("screen", [(1920, 1080), (1366, 768)], ids=["wall", "laptop"])
def test_the_dashboard_shows_the_morning_live_on_a_wall_screen_and_a_laptop(
    live_server, chromium, client, admin, morning, tmp_path, screen
):
    context = chromium.new_context(viewport={"width": screen[0], "height": screen[1]}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server, "admin")
    data = client.get("/api/v1/sites/demo/dashboard", headers=admin).json

    assert page.text_content("#patients") == "6" == str(data["figures"]["patients"])
    assert page.text_content("#in-building") == str(data["in_building"])
    assert page.text_content("#waiting-now") == str(sum(data["waiting_by_department"].values()))
    assert float(page.text_content("#mean-wait")) == data["figures"]["mean_queue_wait_min"]
    assert float(page.text_content("#p90-wait")) == data["figures"]["p90_queue_wait_min"]
    assert page.text_content("#rooms-busy") == f"{data['rooms_busy']} / {data['rooms_idle']}"
    assert page.locator("#rooms tr").count() == len(data["rooms"])
    for chart in ("#chart-waiting", "#chart-queue", "#chart-gantt"):  # drawn, not broken images
        assert page.eval_on_selector(chart, "img => img.complete && img.naturalWidth > 0"), chart
    svg = base64.b64decode(data["charts"]["gantt"].split(",", 1)[1]).decode()
    assert svg.count("<rect") >= 2  # planned and actual bars of the rooms used this morning
    assert re.search(r"Updated · 更新于 \d\d:\d\d", page.text_content("#updated"))
    page_text = page.text_content("body")
    assert not any(p.name in page_text or p.mrn in page_text for p in morning.patients)
    # no sideways scrolling: everything fits the screen's width
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(tmp_path / f"dashboard-{screen[0]}x{screen[1]}.png"), full_page=True)
    context.close()


def test_the_dashboard_refreshes_by_itself_when_the_day_moves_on(live_server, page, client, clock, morning):
    page.clock.install()
    sign_in(page, live_server, "nurse")
    before = page.text_content("#patients")
    morning.check_in(2, start=10)

    page.clock.run_for(31_000)  # the page asks again every 30 seconds

    page.wait_for_function(f"document.getElementById('patients').textContent !== '{before}'")
    assert page.text_content("#patients") == str(int(before) + 2)


def test_a_regional_admin_picks_the_site(live_server, page):
    sign_in(page, live_server, "regional")
    options = page.eval_on_selector_all("#site option", "os => os.map(o => o.value)")
    assert options == ["demo", "riverside"]
    page.select_option("#site", "riverside")
    page.wait_for_function("document.getElementById('title').textContent.startsWith('riverside')")
    assert page.text_content("#patients") == "0"


def test_a_late_refresh_of_the_site_left_does_not_replace_the_site_picked(live_server, page):
    page.clock.install()
    sign_in(page, live_server, "regional")  # demo's figures
    held = []

    def slow_demo(route) -> None:  # a slow network: demo's next refresh answers last
        if "/sites/demo/" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/v1/sites/*/dashboard", slow_demo)
    page.clock.run_for(31_000)  # the 30-second refresh asks for demo again
    page.select_option("#site", "riverside")
    page.wait_for_function("document.getElementById('title').textContent.startsWith('riverside')")
    assert held, "demo's refresh was sent before the site changed"
    with page.expect_response(lambda answer: "/sites/demo/" in answer.url):
        held[0].continue_()
    page.wait_for_timeout(300)  # the late answer's script has run
    assert page.input_value("#site") == "riverside"
    assert page.text_content("#title").startswith("riverside")
