"""Web pages for patients, reception and nurses; they call the same JSON API as everyone else."""

from __future__ import annotations

from flask import Blueprint, render_template

from api.extensions import db
from navigation.hospital import departments

blp = Blueprint(
    "pages", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)


@blp.get("/")
def index_page():
    """A first visit: where each audience's pages are."""
    sites = [
        {"code": site.code, "name_en": site.name_en, "name_zh": site.name_zh, "groups": groups}
        for site, groups in departments(db.session)
    ]
    return render_template("index.html", sites=sites)


@blp.get("/p/sw.js")
def patient_service_worker():
    """The patient page's service worker, served under /p/ so its scope covers the page."""
    response = blp.send_static_file("sw.js")
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.get("/p/<token>")
def patient_page(token: str):
    """The patient's phone page; the token in the link is their key to the API."""
    return render_template("patient.html")


@blp.get("/b/<token>")
def booking_page(token: str):
    """The patient's booking before the day; the token in the link is their key to it."""
    return render_template("booking.html")


@blp.get("/reception")
def reception_page():
    return render_template("reception.html")


@blp.get("/reception/bookings")
def booking_desk_page():
    """Reception books a patient's exams for another day."""
    return render_template("booking_desk.html")


@blp.get("/dashboard")
def dashboard_page():
    """The department head's day; its data needs a staff token of the site (api/dashboard.py)."""
    return render_template("dashboard.html")
