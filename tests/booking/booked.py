"""A booking made through the API, for tests of the pages that show it."""

from __future__ import annotations


def booked_token(client, reception: dict, *codes: str, visit: str = "VB-1", language: str = "zh") -> str:
    """Book `codes` on the first offered day; the token of the patient's link."""
    orders = [{"code": c} for c in codes]
    offers = client.post("/api/v1/booking-offers", json={"orders": orders}, headers=reception)
    assert offers.status_code == 200, offers.json
    patient = {"mrn": f"MRN-{visit}", "name": "Zhou Yuting", "language": language, "mobility": "walking"}
    day = offers.json["offers"][0]["visits"][0]["day"]
    body = {"visit_number": visit, "patient": patient, "orders": orders, "day": day}
    booked = client.post("/api/v1/bookings", json=body, headers=reception)
    assert booked.status_code == 201, booked.json
    return booked.json["link"].rsplit("/", 1)[1]
