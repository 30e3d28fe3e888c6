"""Request and response schemas of bookings (reception's and the patient's own link)."""

from __future__ import annotations

from flask import current_app, url_for
from marshmallow import Schema, fields, validate

from api.extensions import db
from api.schemas import ORDERS_IN, PLAUSIBLE_YEARS, SITE_IN, SITE_QUERY, VisitInSchema, public_url
from navigation.booking.links import booking_token
from navigation.booking.preparation import preparation
from navigation.booking.service import at
from navigation.kpis import EARLIEST, LATEST
from navigation.models import Booking, BookingStatus, BookingVisit, Site


class OffersInSchema(Schema):
    orders = ORDERS_IN
    site = SITE_IN
    from_day = fields.Date(
        data_key="from",
        load_default=None,
        metadata={"description": "First day to offer (tomorrow by default)"},
    )


class BookInSchema(VisitInSchema):
    day = fields.Date(required=True, metadata={"description": "The day of an offer's first visit"})
    phone = fields.String(
        load_default=None,
        validate=validate.Length(min=5, max=32),
        metadata={"description": "Mobile number for the booking's SMS (stored encrypted, never shown back)"},
    )


class RebookInSchema(Schema):
    day = fields.Date(required=True, metadata={"description": "The day of an offer's first visit"})


class FromDayArgs(Schema):
    from_day = fields.Date(data_key="from", load_default=None)


class BookingSearchArgs(Schema):
    visit_number = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "Exactly this visit number"}
    )
    day = fields.Date(
        validate=validate.Range(min=EARLIEST, max=LATEST),
        metadata={
            "description": "The hospital's local date (YYYY-MM-DD); today when neither filter is given",
            **PLAUSIBLE_YEARS,
        },
    )
    site = SITE_QUERY
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=100_000),
        metadata={"description": "Rows to skip: the next page starts at offset + limit"},
    )


class FoundVisitSchema(Schema):
    """One visit of a booking in a list: when and in what state, no patient details (the desk
    opens the booking for the rest)."""

    id = fields.Integer(attribute="booking.id", metadata={"description": "The booking's id"})
    visit_number = fields.String(attribute="booking.visit_number")
    status = fields.Enum(BookingStatus, by_value=True, attribute="booking.status")
    hold_expires_at = fields.AwareDateTime(attribute="booking.hold_expires_at", allow_none=True)
    day = fields.Date(attribute="visit.day")
    window_start = fields.AwareDateTime(attribute="visit.window_start")
    window_end = fields.AwareDateTime(attribute="visit.window_end")
    visit_index = fields.Integer(metadata={"description": "1 for the booking's first day, 2 for its second"})
    visit_count = fields.Function(
        lambda row: len(row.booking.visits), metadata={"description": "Days booked"}
    )


class FoundBookingsSchema(Schema):
    day = fields.Date(allow_none=True, metadata={"description": "The day listed; null: every day"})
    timezone = fields.String(metadata={"description": "The hospital's time zone, for showing times"})
    total = fields.Integer(metadata={"description": "Rows matching, over every page"})
    bookings = fields.List(fields.Nested(FoundVisitSchema))


class PlannedStepSchema(Schema):
    key = fields.String()
    kind = fields.String()
    exam_codes = fields.List(fields.String())
    room = fields.String(allow_none=True)
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    fasting = fields.Boolean()


class VisitOutSchema(Schema):
    day = fields.Date()
    orders = fields.List(fields.String())
    window_start = fields.AwareDateTime(metadata={"description": "Arrive from (30-minute window)"})
    window_end = fields.AwareDateTime(metadata={"description": "Arrive by"})
    steps = fields.Method("_steps", metadata={"description": "Planned times per step"})
    preparation = fields.Method(
        "_preparation", metadata={"description": "What to do before coming, [{en, zh}], no exam names"}
    )

    def _preparation(self, visit: BookingVisit) -> list[dict[str, str]]:
        return preparation(visit, db.session.get_one(Site, visit.site_id))

    def _steps(self, visit: BookingVisit) -> list[dict]:
        site = db.session.get_one(Site, visit.site_id)
        return PlannedStepSchema(many=True).dump(
            [
                {**s, "start": at(site, visit.day, s["start"]), "end": at(site, visit.day, s["end"])}
                for s in visit.steps
            ]
        )


class OfferOutSchema(Schema):
    visits = fields.List(fields.Nested(VisitOutSchema))


class OffersOutSchema(Schema):
    offers = fields.List(fields.Nested(OfferOutSchema))
    payment_first = fields.Boolean(metadata={"description": "Payment is needed to confirm a booking"})
    hold_minutes = fields.Integer(metadata={"description": "How long an unpaid booking is held"})
    timezone = fields.String(metadata={"description": "The hospital's time zone, for showing times"})


class BookingOutSchema(Schema):
    id = fields.Integer()
    visit_number = fields.String()
    status = fields.Enum(BookingStatus, by_value=True)
    orders = fields.List(fields.String())
    hold_expires_at = fields.AwareDateTime(allow_none=True)
    visits = fields.List(fields.Nested(VisitOutSchema))
    link = fields.Method("_link", metadata={"description": "The patient's own booking page"})
    calendar = fields.Method("_calendar", metadata={"description": "The visits as an iCalendar (.ics) file"})
    language = fields.Function(
        lambda b: b.patient.language.value,
        metadata={"description": "The patient's language: their page opens in it"},
    )
    timezone = fields.Method("_timezone", metadata={"description": "The hospital's time zone"})
    place = fields.Method("_place", metadata={"description": "Where to arrive: {en, zh}"})

    def _token(self, booking: Booking) -> str:
        return booking_token(current_app.config["SECRET_KEY"], booking)

    def _site(self, booking: Booking) -> Site:
        return db.session.get_one(Site, booking.site_id)

    def _link(self, booking: Booking) -> str:
        return public_url(f"/b/{self._token(booking)}")

    def _timezone(self, booking: Booking) -> str:
        return self._site(booking).timezone

    def _place(self, booking: Booking) -> dict[str, str]:
        site = self._site(booking)
        return {"en": site.name_en, "zh": site.name_zh}

    def _calendar(self, booking: Booking) -> str:
        return url_for("booking.BookingCalendar", booking_token=self._token(booking), _external=True)
