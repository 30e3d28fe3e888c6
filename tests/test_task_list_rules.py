"""Orders become a task list that follows the clinical rules, for any combination of orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navigation.catalog import load_demo_catalog
from navigation.errors import DomainError
from navigation.steps import expand_orders

CATALOG = load_demo_catalog()
CODES = sorted(CATALOG.exam_types)
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def order_of(plan) -> list[str]:
    return [s.key for s in plan.steps]


@st.composite
def order_sets(draw):
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=10, unique=True))
    if "BA-UGI" in codes and "COLONO" in codes:
        codes.remove("COLONO")
    return codes


@settings(max_examples=150, deadline=None)
@given(order_sets())
def test_every_plan_obeys_every_rule(codes):
    plan = expand_orders(CATALOG, codes)
    position = {key: i for i, key in enumerate(order_of(plan))}
    for dep in plan.dependencies:
        assert position[dep.before] < position[dep.after], dep
    steps = plan.steps
    exams = {c for s in steps for c in s.exam_codes}
    assert set(codes) <= exams
    if "payment" in position:
        assert position["payment"] == 0
    if "meal" in position:
        for s in steps:
            if s.fasting_hours > 0:
                assert position[s.key] < position["meal"], s.key
    clinical = [s for s in steps if s.kind in ("exam", "blood_draw")]
    if "COLONO" in codes:
        assert clinical[-1].key == "exam:COLONO"
    assert sum(s.kind == "blood_draw" for s in steps) <= 1
    assert sum(s.kind == "payment" for s in steps) <= 1


def test_shared_steps_are_merged_into_one_blood_draw_and_one_payment():
    plan = expand_orders(CATALOG, ["GLU", "LIPID", "CBC", "ECG"])
    draws = [s for s in plan.steps if s.kind == "blood_draw"]
    assert len(draws) == 1 and set(draws[0].exam_codes) == {"GLU", "LIPID", "CBC"}
    assert draws[0].fasting_hours == 12  # the strictest of the merged tests
    assert order_of(plan)[:3] == ["payment", "draw:blood", "meal"]


def test_contrast_ct_brings_a_kidney_test_unless_a_recent_one_is_on_file():
    plan = expand_orders(CATALOG, ["CT-ABD-C"], now=NOW)
    assert plan.added == {"RENAL": "needed before CT-ABD-C"}
    wait = next(d for d in plan.dependencies if d.before == "draw:blood" and d.after == "exam:CT-ABD-C")
    assert wait.min_gap_min == 60
    recent = expand_orders(CATALOG, ["CT-ABD-C"], on_file={"RENAL": NOW - timedelta(days=10)}, now=NOW)
    assert "draw:blood" not in order_of(recent) and recent.added == {}
    stale = expand_orders(CATALOG, ["CT-ABD-C"], on_file={"RENAL": NOW - timedelta(days=400)}, now=NOW)
    assert "draw:blood" in order_of(stale)


def test_clinical_precedence_thyroid_scan_plain_ct_and_ultrasound_before_contrast_and_barium():
    order = order_of(expand_orders(CATALOG, ["BA-UGI", "CT-ABD-C", "CT-HEAD", "NM-THY", "US-THY"], now=NOW))
    assert order.index("exam:NM-THY") < order.index("exam:CT-ABD-C")
    assert order.index("exam:CT-HEAD") < order.index("exam:CT-ABD-C")
    for before in ("exam:US-THY", "exam:NM-THY", "exam:CT-ABD-C", "exam:CT-HEAD"):
        assert order.index(before) < order.index("exam:BA-UGI")


def test_full_bladder_scans_follow_the_water_step_together():
    order = order_of(expand_orders(CATALOG, ["US-PELVIS", "ECG", "US-URO"]))
    water = order.index("water")
    assert sorted(order[water + 1 : water + 3]) == ["exam:US-PELVIS", "exam:US-URO"]


def test_no_eating_for_an_hour_after_gastroscopy():
    plan = expand_orders(CATALOG, ["GASTRO", "ECG"])
    gap = next(d for d in plan.dependencies if d.before == "exam:GASTRO" and d.after == "meal")
    assert gap.min_gap_min == 60


def test_colonoscopy_and_barium_on_the_same_day_are_refused():
    with pytest.raises(DomainError) as error:
        expand_orders(CATALOG, ["ECG", "COLONO", "BA-UGI"])
    assert error.value.field == "orders.2.code" or error.value.field == "orders.1.code"
    assert "same day" in error.value.message


def test_return_visit_and_pharmacy_come_after_the_reports():
    order = order_of(expand_orders(CATALOG, ["PHARM", "FOLLOWUP", "XR-CHEST"]))
    assert order[-3:] == ["report", "exam:FOLLOWUP", "exam:PHARM"]


def test_prerequisites_are_hard_and_orderings_soft():
    from navigation.catalog import load_demo_catalog
    from navigation.steps import expand_orders

    plan = expand_orders(load_demo_catalog(), ["CT-ABD-C", "US-PELVIS", "GLU"])
    hard = {(d.before, d.after) for d in plan.dependencies if d.hard}
    soft = {(d.before, d.after) for d in plan.dependencies if not d.hard}
    assert ("payment", "exam:CT-ABD-C") in hard
    assert ("draw:blood", "exam:CT-ABD-C") in hard  # kidney result needed before contrast
    assert ("water", "exam:US-PELVIS") in hard
    assert ("draw:blood", "meal") in soft  # eat anyway if the fasting draw cannot happen
    assert ("exam:US-PELVIS", "report") in soft  # collect the other reports anyway
