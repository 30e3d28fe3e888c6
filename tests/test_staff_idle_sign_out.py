"""Staff pages sign out by themselves. A page in use renews its short-lived access token and
stays signed in; a page left unused for the idle time (15 minutes by default) ends its session
on the server and shows the sign-in form, saying why. The page runs on Playwright's fake clock,
moved forward: no real minutes are waited."""

from __future__ import annotations

import pytest

from tests.staff_pages import SIGNED_IN, sign_in

pytestmark = pytest.mark.browser

REFRESH = "/api/v1/auth/refresh"


def _signed_in(page, live_server: str, path: str, username: str) -> str:
    """Signs in on the page; returns the session's refresh token."""
    page.clock.install()
    with page.expect_response("**/api/v1/auth/login") as login:
        sign_in(page, live_server, path, username)
    return login.value.json()["refresh_token"]


def _still_works(client, refresh: str) -> bool:
    return client.post(REFRESH, headers={"Authorization": f"Bearer {refresh}"}).status_code == 200


@pytest.mark.parametrize(("path", "username"), [("/nurse", "nurse"), ("/reception", "reception")])
def test_a_page_in_use_stays_signed_in_and_an_unused_one_signs_out(live_server, page, client, path, username):
    refresh = _signed_in(page, live_server, path, username)
    page.clock.fast_forward("10:00")
    page.click("header .brand")  # someone at the desk
    with page.expect_response(f"**{REFRESH}") as renewed:
        page.clock.fast_forward("04:30")  # the access token has a minute left: renewed
    assert renewed.value.status == 200
    page.clock.fast_forward("09:00")  # 13.5 minutes unused
    assert page.is_visible(SIGNED_IN[path]) and page.is_hidden("#login")

    with page.expect_response("**/api/v1/auth/logout") as signed_out:
        page.clock.fast_forward("02:00")  # 15.5 minutes unused
    assert signed_out.value.status == 204
    page.wait_for_selector("#login:not([hidden])")
    assert page.is_hidden(SIGNED_IN[path])
    assert "Signed out" in page.inner_text("#login .error")
    assert not _still_works(client, refresh)  # the session ended on the server too


def test_the_sign_out_button_ends_the_session(live_server, page, client):
    refresh = _signed_in(page, live_server, "/reception", "reception")
    assert _still_works(client, refresh)
    with page.expect_response("**/api/v1/auth/logout") as signed_out:
        page.click("#sign-out")
    assert signed_out.value.status == 204
    page.wait_for_selector("#login:not([hidden])")
    assert page.is_hidden("#sign-out")
    page.reload()  # nothing kept in the tab either
    page.wait_for_selector("#login:not([hidden])")
    assert not _still_works(client, refresh)
