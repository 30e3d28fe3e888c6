"""The booking engine: the earliest days on which all of a patient's orders fit, each with a
window and planned times that keep the catalog's rules; clear answers when nothing fits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import pytest

from navigation.booking.engine import DayBook, Hospital, desk_types, offer_days, split_visits
from navigation.booking.rules import BookingRules, bookable_windows
from navigation.catalog import load_demo_catalog
from navigation.errors import DomainError
from navigation.sequencing.model import Placement
from navigation.sequencing.walking import StraightLineWalking
from navigation.simulation.scenario import generate

DAY = date(2000, 1, 3)  # the engine never reads the clock: any day will do
CATALOG = load_demo_catalog()


@pytest.fixture(scope="module")
def hospital() -> Hospital:
    rooms = generate(60, 1).rooms
    entrance = next(r.code for r in rooms if r.room_type == "reception")
    walking = StraightLineWalking.for_rooms(rooms)
    return Hospital({r.code: r for r in rooms}, walking, entrance, desk_types(CATALOG))


@pytest.fixture
def nothing_held(hospital: Hospital) -> Callable[[date], DayBook]:
    return lambda _: DayBook(hospital, BookingRules())


def test_a_fasting_visit_gets_a_morning_window_and_keeps_every_rule(
    hospital: Hospital, nothing_held: Callable[[date], DayBook]
) -> None:
    offers = offer_days(
        CATALOG, hospital, ["GLU", "US-ABD", "CT-ABD-C", "FOLLOWUP"], DAY, nothing_held, BookingRules()
    )
    assert [o.visits[0].day for o in offers] == [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]
    visit = offers[0].visits[0]
    assert visit.window_end - visit.window_start == 30
    assert visit.window_start <= 10 * 60
    at = {s.key: s for s in visit.steps}
    assert "payment" not in at  # paid when booking
    assert at["draw:blood"].start >= 8 * 60 - 120  # 8 h fasting since 22:00
    assert at["meal"].start >= max(at["draw:blood"].end, at["exam:US-ABD"].end)  # fasting exams first
    assert at["exam:CT-ABD-C"].start >= at["draw:blood"].end + 60  # the kidney result first
    assert at["exam:FOLLOWUP"].start >= at["exam:CT-ABD-C"].end + 180  # the CT report is ready
    assert visit.window_start <= visit.first_exam <= visit.window_start + 15


def test_colonoscopy_and_barium_are_offered_on_two_days_barium_last(
    hospital: Hospital, nothing_held: Callable[[date], DayBook]
) -> None:
    assert split_visits(CATALOG, ["BA-UGI", "COLONO", "CBC", "FOLLOWUP"]) == [
        ("COLONO",),
        ("BA-UGI", "CBC", "FOLLOWUP"),
    ]
    offer = offer_days(
        CATALOG, hospital, ["BA-UGI", "COLONO", "CBC", "FOLLOWUP"], DAY, nothing_held, BookingRules()
    )[0]
    first, second = offer.visits
    assert (first.day, second.day) == (DAY, DAY + timedelta(days=1))
    assert {s.key for s in first.steps} >= {"exam:COLONO"}
    assert {s.key for s in second.steps} >= {"exam:BA-UGI", "draw:blood", "exam:FOLLOWUP"}


def test_held_capacity_pushes_the_next_patient_later(hospital: Hospital) -> None:
    rules = BookingRules(offers=1)
    held: dict[date, DayBook] = {}

    def held_on(day: date) -> DayBook:
        return held.setdefault(day, DayBook(hospital, rules))

    starts = []
    for n in range(12):
        visit = offer_days(CATALOG, hospital, ["MRI-KNEE"], DAY, held_on, rules)[0].visits[0]
        mri = next(s for s in visit.steps if s.key == "exam:MRI-KNEE")
        held_on(visit.day).hold(Placement(f"b{n}", mri.key, mri.room, mri.station, mri.start, mri.end))
        starts.append((visit.day, mri.room, mri.start))
    assert len(set(starts)) == 12  # nobody shares a slot
    mri_rooms = [r for r in hospital.rooms.values() if r.room_type == "mri"]
    kept = bookable_windows(mri_rooms[0].windows, rules.same_day_share, rules.share_period_min)
    for _, _, start in starts:
        assert any(a <= start and start + 30 <= b for a, b in kept)  # never in the same-day share


def test_the_same_day_share_keeps_the_end_of_every_hour() -> None:
    assert bookable_windows(((480, 600),), 0.3, 60) == ((480, 522), (540, 582))
    assert bookable_windows(((480, 600),), 0.0, 60) == ((480, 600),)


def test_orders_no_room_performs_are_named(
    hospital: Hospital, nothing_held: Callable[[date], DayBook]
) -> None:
    no_mri = replace(hospital, rooms={c: r for c, r in hospital.rooms.items() if r.room_type != "mri"})
    with pytest.raises(DomainError) as refused:
        offer_days(CATALOG, no_mri, ["CBC", "MRI-KNEE"], DAY, nothing_held, BookingRules())
    assert refused.value.field == "orders.1.code"
    assert "no room here performs MRI-KNEE" in refused.value.message


def test_an_exam_longer_than_any_bookable_slot_is_named(
    hospital: Hospital, nothing_held: Callable[[date], DayBook]
) -> None:
    with pytest.raises(DomainError) as refused:
        offer_days(CATALOG, hospital, ["CBC", "COLONO"], DAY, nothing_held, BookingRules(same_day_share=0.5))
    assert refused.value.field == "orders.1.code"
    assert "longer than any bookable slot" in refused.value.message


def test_a_full_horizon_says_which_order_and_why(hospital: Hospital) -> None:
    full = [
        Placement(f"held-{r.code}", "exam", r.code, 0, 0, 24 * 60)
        for r in hospital.rooms.values()
        if r.room_type == "mri"
    ]
    with pytest.raises(DomainError) as refused:
        rules = BookingRules(horizon_days=2)
        offer_days(
            CATALOG, hospital, ["ECG", "MRI-KNEE"], DAY, lambda _: DayBook(hospital, rules, full), rules
        )
    assert refused.value.field == "orders.1.code"
    assert refused.value.message.startswith("MRI-KNEE cannot be booked within 2 days: no free mri slot")


def test_unknown_codes_are_named(hospital: Hospital, nothing_held: Callable[[date], DayBook]) -> None:
    with pytest.raises(DomainError) as refused:
        offer_days(CATALOG, hospital, ["CBC", "XYZ"], DAY, nothing_held, BookingRules())
    assert refused.value.field == "orders.1.code"


def test_a_full_bladder_visit_drinks_on_the_way_not_between_rooms(
    hospital: Hospital, nothing_held: Callable[[date], DayBook]
) -> None:
    visit = offer_days(CATALOG, hospital, ["CBC", "US-PELVIS"], DAY, nothing_held, BookingRules())[0].visits[
        0
    ]
    at = {s.key: s for s in visit.steps}
    assert at["water"].end <= visit.window_start + 15, "drunk before coming, at the message's time"
    assert at["exam:US-PELVIS"].start <= at["water"].end + 90  # the bladder still holds
    assert max(s.end for s in visit.steps) - visit.window_start < 45, "no hour of drinking inside"


def test_the_same_day_share_can_follow_the_hours_walk_ins_come() -> None:
    kept = bookable_windows(((480, 720), (810, 1050)), 0.5, 90, ((720, 0.1),))
    assert kept == ((480, 525), (570, 615), (660, 705), (810, 891), (900, 981), (990, 1050))


def test_drinking_on_the_way_ends_as_the_first_step_begins_however_late(hospital: Hospital) -> None:
    book = DayBook(hospital, BookingRules())
    for room in (r for r in hospital.rooms.values() if r.room_type == "blood_draw"):
        for station in range(room.stations):  # the blood draw is booked up until 10:00
            book.hold(Placement(f"b{station}", "draw:blood", room.code, station, 8 * 60, 10 * 60))
    offer = offer_days(CATALOG, hospital, ["CBC", "US-PELVIS"], DAY, lambda _: book, BookingRules())
    at = {s.key: s for s in offer[0].visits[0].steps}
    assert at["draw:blood"].start >= 10 * 60
    assert at["water"].end == at["draw:blood"].start, "drunk just before, not held for hours"


def test_a_fasting_step_is_never_booked_after_the_morning(hospital: Hospital) -> None:
    """A blood draw booked after lunch would keep a patient fasting from 22:00 into the
    afternoon: when the morning's draws are taken that day, the visit goes to another day."""
    rules = BookingRules(same_day_share=0)
    full = DayBook(hospital, rules)
    for room in (r for r in hospital.rooms.values() if r.room_type == "blood_draw"):
        for station in range(room.stations):
            full.hold(Placement("held", "draw:blood", room.code, station, 7 * 60, 12 * 60))
    held_on = {DAY: full}
    offers = offer_days(
        CATALOG,
        hospital,
        ["GLU", "ECG"],
        DAY,
        lambda day: held_on.setdefault(day, DayBook(hospital, rules)),
        rules,
    )
    for offer in offers:
        (visit,) = offer.visits
        draw = next(s for s in visit.steps if s.key == "draw:blood")
        assert draw.start <= rules.latest_fasting_start_min, (visit.day, draw.start)
    assert offers[0].visits[0].day == DAY + timedelta(days=1)


def test_a_visit_that_needs_no_fasting_leaves_the_walk_in_morning_to_those_who_must_come_then(
    hospital: Hospital,
) -> None:
    """Where the hospital keeps its same-day reserve in the mornings (walk-ins come then), a
    chest X-ray and ECG is offered an afternoon window as short as a morning one, and the
    morning stays for walk-ins and fasting visits; a fasting visit still comes in the morning.
    With the same share all day there is no peak: the earliest window, as before."""
    morning = BookingRules(same_day_share=0.5, same_day_share_from=((12 * 60, 0.2),), share_period_min=90)
    empty = DayBook(hospital, morning)
    visit = offer_days(CATALOG, hospital, ["XR-CHEST", "ECG"], DAY, lambda _: empty, morning)[0].visits[0]
    assert visit.window_start >= 12 * 60
    assert max(s.end for s in visit.steps) - visit.window_start <= 30, "no longer than in the morning"
    fasting = offer_days(CATALOG, hospital, ["GLU"], DAY, lambda _: empty, morning)[0].visits[0]
    assert fasting.window_start < 10 * 60
    flat = BookingRules()
    visit = offer_days(CATALOG, hospital, ["XR-CHEST", "ECG"], DAY, lambda _: DayBook(hospital, flat), flat)
    assert visit[0].visits[0].window_start <= 8 * 60  # the first exams of the day


def test_a_day_with_hours_of_waiting_between_exams_is_not_offered(hospital: Hospital) -> None:
    """The echo rooms are booked until 15:00: the fasting draw must be in the morning, so that
    day would keep the patient from 08:00 to past 15:00 for two short exams. The next day,
    with a compact visit, is offered instead."""
    rules = BookingRules(offers=1)
    busy = DayBook(hospital, rules)
    for room in (r for r in hospital.rooms.values() if r.room_type == "echo"):
        busy.hold(Placement("held", "exam:ECHO", room.code, 0, 7 * 60, 15 * 60))
    days = {DAY: busy}
    offer = offer_days(
        CATALOG, hospital, ["GLU", "ECHO"], DAY, lambda d: days.setdefault(d, DayBook(hospital, rules)), rules
    )[0]
    (visit,) = offer.visits
    assert visit.day == DAY + timedelta(days=1)
    assert max(s.end for s in visit.steps) - visit.window_start <= 90
