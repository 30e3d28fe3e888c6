"""Web pages for patients, reception and nurses; they call the same JSON API as everyone else."""

from __future__ import annotations

from flask import Blueprint, render_template

blp = Blueprint(
    "pages", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)


@blp.get("/p/<token>")
def patient_page(token: str):
    """The patient's phone page; the token in the link is their key to the API."""
    return render_template("patient.html")


@blp.get("/reception")
def reception_page():
    return render_template("reception.html")
