"""Signing in on a staff page in the browser, as a receptionist or nurse does."""

from __future__ import annotations

# The page each staff page shows once signed in.
SIGNED_IN = {
    "/reception": "#checkin:not([hidden])",
    "/reception/bookings": "#booking-form:not([hidden])",
    "/nurse": "#desk:not([hidden])",
    "/dashboard": "#day:not([hidden])",
}


def sign_in(page, live_server: str, path: str, username: str) -> None:
    page.goto(f"{live_server}{path}")
    page.fill("#login [name=username]", username)
    page.fill("#login [name=password]", "demo")
    page.click("#login button")
    page.wait_for_selector(SIGNED_IN[path])
