"""A booking as an iCalendar file: one event per visit day, the arrival window as its time.

No diagnosis or exam name goes in it (calendars sync to other services): the event says
where and when to arrive, and points back to the booking link for the rest.
"""

from __future__ import annotations

from icalendar import Calendar, Event

from navigation.booking.preparation import preparation
from navigation.models import Booking, Site


def booking_calendar(booking: Booking, site: Site, link: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//CarePath//booking//EN")
    calendar.add("version", "2.0")
    for visit in booking.visits:
        event = Event()
        event.add("uid", f"booking-{booking.id}-visit-{visit.id}@carepath")
        event.add("summary", f"{site.name_zh} / {site.name_en}: 检查预约 / exam appointment")
        event.add("dtstart", visit.window_start)
        event.add("dtend", visit.window_end)
        event.add("dtstamp", booking.created_at)
        event.add("location", site.name_en)
        lines = [f"{line['zh']} / {line['en']}" for line in preparation(visit, site)]
        event.add("description", "\n".join([*lines, link]))
        event.add("url", link)
        calendar.add_component(event)
    return calendar.to_ical()
