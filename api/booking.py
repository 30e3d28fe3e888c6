"""Bookings before the visit day: reception offers days, books, takes payment, cancels and
rebooks; the patient does the same from their own link (`/booking-links/<token>`). Each change
is told to the patient's phone (navigation/booking/messages.py) in the same transaction."""

from __future__ import annotations

from datetime import date

from flask import Response, current_app, g, has_request_context, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import access
from api.booking_schemas import (
    BookingOutSchema,
    BookingSearchArgs,
    BookInSchema,
    FoundBookingsSchema,
    FromDayArgs,
    OffersInSchema,
    OffersOutSchema,
    RebookInSchema,
)
from api.channels import PhoneSchema, save_phone
from api.context import commit, now
from api.extensions import db
from navigation.booking import messages, service
from navigation.booking.calendar import booking_calendar
from navigation.booking.engine import Offer
from navigation.booking.links import BookingLinks, booking_for_token, booking_links
from navigation.booking.lookup import find_bookings
from navigation.booking.rules import BookingRules
from navigation.checkin import PatientDetails
from navigation.errors import NotFound
from navigation.models import Booking, Role, Site, StaffUser
from notifications import Recipient

blp = Blueprint("booking", __name__, url_prefix="/api/v1", description="Bookings before the visit day")
BOOKING_ID = "<int(max=2147483647):booking_id>"
LINK = "<string(maxlength=80):booking_token>"
DESK = (Role.RECEPTION, Role.ADMIN)


def rules() -> BookingRules:
    found: BookingRules = current_app.config.get("BOOKING_RULES") or BookingRules()
    return found


def _offers(site: Site, offers: list[Offer]) -> dict:
    return {
        "offers": [{"visits": service.visits_of(site, o)} for o in offers],
        "payment_first": rules().payment_first,
        "hold_minutes": rules().payment_hold_min,
        "timezone": site.timezone,
    }


def _moves(booking: Booking, from_day: date | None) -> dict:
    """The days a booking could move to: its own capacity counts as free."""
    site = _site_of(booking)
    return _offers(
        site, service.offer(db.session, site, booking.orders, now(), rules(), from_day, booking.id)
    )


def links(booking: Booking) -> BookingLinks:
    """The patient's booking page and calendar file, as their messages link to them
    (CAREPATH_PUBLIC_URL; a job outside any request has nothing else to go by)."""
    base = current_app.config["PUBLIC_BASE_URL"] or (request.host_url if has_request_context() else "")
    return booking_links(base, current_app.config["SECRET_KEY"], booking)


def _site_of(booking: Booking) -> Site:
    return db.session.get_one(Site, booking.site_id)


def _confirmed(booking: Booking, site: Site) -> Booking:
    """Booked or paid: the patient is told, in the same transaction as the change."""
    messages.confirmed(db.session, booking, site, links(booking), now())
    commit()
    return booking


def _cancel(booking: Booking, actor: StaffUser | None) -> Booking:
    """The desk's cancel and the patient's own: the capacity is free at once, the patient told."""
    booking = service.cancel(db.session, booking, actor, now())
    messages.cancelled(db.session, booking, now())
    commit()
    return booking


def _rebook(booking: Booking, day: date, actor: StaffUser | None) -> Booking:
    """The desk's rebook and the patient's own: the same move, told the same way."""
    site = _site_of(booking)
    service.rebook(db.session, site, booking, day, actor, now(), rules())
    messages.moved(db.session, booking, site, links(booking), now())
    commit()
    return booking


def _linked(token: str) -> Booking:
    booking = booking_for_token(db.session, current_app.config["SECRET_KEY"], token)
    if booking is None:
        raise NotFound("no booking for this link", field="booking_token")
    return booking


@blp.route("/booking-offers")
class BookingOffers(MethodView):
    @access.staff(*DESK)
    @blp.arguments(OffersInSchema)
    @blp.response(200, OffersOutSchema)
    def post(self, body: dict):
        """The earliest days on which all of the orders fit, each with an arrival window and the
        planned time of every step. Orders that must not share a day come as two visits; an
        order that fits on no day within the horizon is named with the reason (422)."""
        site = g.scope.named(body["site"])
        codes = [o["code"] for o in body["orders"]]
        return _offers(site, service.offer(db.session, site, codes, now(), rules(), body["from_day"]))


@blp.route("/bookings")
class Bookings(MethodView):
    @access.staff(*DESK, audit_read="booking.search")
    @blp.arguments(BookingSearchArgs, location="query")
    @blp.response(200, FoundBookingsSchema)
    def get(self, args: dict):
        """Find bookings at your site: by `visit_number` (every day) and/or `day` (the hospital's
        date; today when neither is given). One row per booked visit, by arrival window, with
        the booking's status; `limit` and `offset` page through `total`. The read is audited."""
        site = g.scope.named(args.get("site"))
        visit_number = args.get("visit_number")
        day = args.get("day") or (None if visit_number else service.local_day(site, now()))
        found = find_bookings(
            db.session, site, visit_number=visit_number, day=day, limit=args["limit"], offset=args["offset"]
        )
        return {"day": day, "timezone": site.timezone, "total": found.total, "bookings": found.rows}

    @access.staff(*DESK)
    @blp.arguments(BookInSchema)
    @blp.response(201, BookingOutSchema)
    def post(self, body: dict):
        """Book the offer whose first visit is on `day`: its capacity is held (until paid, where
        payment comes first). A visit already booked answers 409; a past day or today 422.
        With `phone`, the patient is told by SMS (booked, the evening before, on the day)."""
        site = g.scope.named(body["site"])
        booking = service.book(
            db.session,
            site=site,
            visit_number=body["visit_number"],
            patient=PatientDetails(**body["patient"]),
            orders=[o["code"] for o in body["orders"]],
            day=body["day"],
            actor=g.staff,
            now=now(),
            rules=rules(),
        )
        if body["phone"] is not None:
            save_phone(Recipient(booking_id=booking.id), body["phone"])
        return _confirmed(booking, site)


@blp.route(f"/bookings/{BOOKING_ID}")
class BookingView(MethodView):
    @access.staff(*DESK, audit_read="booking.read")
    @blp.response(200, BookingOutSchema)
    def get(self, booking_id: int):
        """A booking: its status, visits, windows and planned times, and the patient's link."""
        return db.session.get_one(Booking, booking_id)


@blp.route(f"/bookings/{BOOKING_ID}/offers")
class BookingMoves(MethodView):
    @access.staff(*DESK)
    @blp.arguments(FromDayArgs, location="query")
    @blp.response(200, OffersOutSchema)
    def get(self, args: dict, booking_id: int):
        """Other days the booking could move to, for the desk's rebook."""
        return _moves(db.session.get_one(Booking, booking_id), args["from_day"])


@blp.route(f"/bookings/{BOOKING_ID}/phone")
class BookingPhone(MethodView):
    @access.staff(*DESK)
    @blp.arguments(PhoneSchema)
    @blp.response(204)
    def put(self, body: dict, booking_id: int):
        """The number the booking's SMS go to, for a patient booked without one (or a new
        number): the messages still to come reach it."""
        save_phone(Recipient(booking_id=booking_id), body["phone"])
        commit()


@blp.route(f"/bookings/{BOOKING_ID}/pay")
class BookingPayment(MethodView):
    @access.staff(*DESK)
    @blp.response(200, BookingOutSchema)
    def post(self, booking_id: int):
        """Paid within the hold: the booking is confirmed (409 once the hold has expired)."""
        booking = service.pay(db.session, db.session.get_one(Booking, booking_id), g.staff, now())
        return _confirmed(booking, _site_of(booking))


@blp.route(f"/bookings/{BOOKING_ID}/cancel")
class BookingCancel(MethodView):
    @access.staff(*DESK)
    @blp.response(200, BookingOutSchema)
    def post(self, booking_id: int):
        """Cancel: the capacity is free for the next offer at once."""
        return _cancel(db.session.get_one(Booking, booking_id), g.staff)


@blp.route(f"/bookings/{BOOKING_ID}/rebook")
class BookingRebook(MethodView):
    @access.staff(*DESK)
    @blp.arguments(RebookInSchema)
    @blp.response(200, BookingOutSchema)
    def post(self, body: dict, booking_id: int):
        """Move the booking to the offer starting on `day` (also after a missed window)."""
        return _rebook(db.session.get_one(Booking, booking_id), body["day"], g.staff)


# ---- the patient's own link ------------------------------------------------------------


@blp.route(f"/booking-links/{LINK}")
class BookingLink(MethodView):
    @access.public("the unguessable booking link in the path is the credential")
    @blp.response(200, BookingOutSchema)
    def get(self, booking_token: str):
        """The patient's booking, from their own link."""
        return _linked(booking_token)


@blp.route(f"/booking-links/{LINK}/offers")
class BookingLinkOffers(MethodView):
    @access.public("the unguessable booking link in the path is the credential")
    @blp.arguments(FromDayArgs, location="query")
    @blp.response(200, OffersOutSchema)
    def get(self, args: dict, booking_token: str):
        """Other days the booking could move to (its own capacity counts as free)."""
        return _moves(_linked(booking_token), args["from_day"])


@blp.route(f"/booking-links/{LINK}/cancel")
class BookingLinkCancel(MethodView):
    @access.public("the unguessable booking link in the path is the credential")
    @blp.response(200, BookingOutSchema)
    def post(self, booking_token: str):
        """The patient cancels; the capacity is free at once."""
        return _cancel(_linked(booking_token), None)


@blp.route(f"/booking-links/{LINK}/rebook")
class BookingLinkRebook(MethodView):
    @access.public("the unguessable booking link in the path is the credential")
    @blp.arguments(RebookInSchema)
    @blp.response(200, BookingOutSchema)
    def post(self, body: dict, booking_token: str):
        """The patient moves the booking to the offer starting on `day`."""
        return _rebook(_linked(booking_token), body["day"], None)


@blp.route(f"/booking-links/{LINK}/calendar.ics")
class BookingCalendar(MethodView):
    @blp.doc(responses={"200": {"description": "The booking's visits", "content": {"text/calendar": {}}}})
    @access.public("the unguessable booking link in the path is the credential")
    def get(self, booking_token: str):
        """The visits as an iCalendar file (windows and place; no exam names)."""
        booking = _linked(booking_token)
        link = BookingOutSchema().dump(booking)["link"]
        body = booking_calendar(booking, _site_of(booking), link)
        return Response(body, mimetype="text/calendar", headers={"Cache-Control": "no-store"})
