"""Bookings made through the API, for tests of the pages and lists that show them."""

from __future__ import annotations


def booked(client, reception: dict, *codes: str, visit: str = "VB-1", language: str = "zh") -> dict:
    """Book `codes` on the first offered day for the patient MRN-<visit>; the booking's JSON."""
    orders = [{"code": c} for c in codes]
    offers = client.post("/api/v1/booking-offers", json={"orders": orders}, headers=reception)
    assert offers.status_code == 200, offers.json
    patient = {"mrn": f"MRN-{visit}", "name": "Zhou Yuting", "language": language, "mobility": "walking"}
    day = offers.json["offers"][0]["visits"][0]["day"]
    body = {"visit_number": visit, "patient": patient, "orders": orders, "day": day}
    answer = client.post("/api/v1/bookings", json=body, headers=reception)
    assert answer.status_code == 201, answer.json
    return answer.json


def booked_token(client, reception: dict, *codes: str, visit: str = "VB-1", language: str = "zh") -> str:
    """Book `codes` on the first offered day; the token of the patient's link."""
    return booked(client, reception, *codes, visit=visit, language=language)["link"].rsplit("/", 1)[1]
