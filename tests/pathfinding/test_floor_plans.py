"""Floor plans a patient can read: the whole route drawn, labels apart and inside, the floor named."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

from pathfinding import Router, SiteMap
from pathfinding.imdf import load_imdf
from pathfinding.svg import route_svgs, text_width

SVG = "{http://www.w3.org/2000/svg}"


def parse(drawing: str) -> ET.Element:
    return ET.fromstring(drawing)


def label_boxes(svg: ET.Element) -> list[tuple[float, float, float, float, str]]:
    boxes = []
    for t in svg.iter(f"{SVG}text"):
        size = float(t.get("font-size", "10"))
        x, baseline = float(t.get("x", "0")), float(t.get("y", "0"))
        text = t.text or ""
        boxes.append((x, baseline - size, x + text_width(text, size), baseline + 0.25 * size, text))
    return boxes


def assert_labels_apart_and_inside(drawing: str) -> None:
    svg = parse(drawing)
    width, height = float(svg.get("width", "0")), float(svg.get("height", "0"))
    boxes = label_boxes(svg)
    for x0, y0, x1, y1, text in boxes:
        assert x0 >= 0 and x1 <= width + 0.5 and y0 + 0.5 >= 0 and y1 <= height + 0.5, text
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (a[4], b[4])


def test_demo_floor_plans_have_no_overlapping_or_clipped_labels(
    demo_router: Router, demo_site: SiteMap
) -> None:
    rng = random.Random(5)
    rooms = sorted(demo_site.rooms())
    for _ in range(6):
        route = demo_router.route(*rng.sample(rooms, 2))
        for lang in ("en", "zh"):
            for drawing in route_svgs(demo_site, route, width_px=360, lang=lang):
                assert_labels_apart_and_inside(drawing)
    destination = demo_router.route("A1-01", "B2-03")
    last = route_svgs(demo_site, destination, width_px=360)[-1]
    assert any("Ultrasound room 3" in (t.text or "") for t in parse(last).iter(f"{SVG}text"))


def test_a_segment_between_buildings_on_one_floor_is_drawn(demo_router: Router, demo_site: SiteMap) -> None:
    """Starting on the skybridge's door: building A's drawing showed only the start dot."""
    route = demo_router.route("A2-SKY", "B2-05")
    first = parse(route_svgs(demo_site, route)[0])
    lines = [p for p in first.iter(f"{SVG}polyline") if p.get("class") == "route"]
    assert lines and len(lines[0].get("points", "").split()) >= 2
    width, height = float(first.get("width", "0")), float(first.get("height", "0"))
    for point in lines[0].get("points", "").split():
        x, y = map(float, point.split(","))
        assert 0 <= x <= width and 0 <= y <= height


def test_each_plan_names_its_floor_and_says_where_the_route_goes(
    demo_router: Router, demo_site: SiteMap
) -> None:
    route = demo_router.route("A1-01", "B3-05")
    zh = [parse(d) for d in route_svgs(demo_site, route, lang="zh")]
    en = [parse(d) for d in route_svgs(demo_site, route, lang="en")]
    assert zh[0].find(f"{SVG}title").text == "门诊楼1楼"
    assert en[-1].find(f"{SVG}title").text == "Floor 3F of Medical Technology Building"
    assert "Fluoroscopy room 1" in (en[-1].find(f"{SVG}desc").text or "")
    assert "透视造影室1" in (zh[-1].find(f"{SVG}desc").text or "")


def test_campus_plans_keep_labels_inside(campus_dir) -> None:
    site, _ = load_imdf(campus_dir)
    router = Router(site, index_profiles=())
    route = router.route("65cfa8fa-2f16-4371-852b-61b1d5d4ef02", "d65cb00c-600e-45c0-bde7-511aac5c9529")
    drawings = route_svgs(site, route, width_px=360, lang="zh")
    for drawing in drawings:
        assert_labels_apart_and_inside(drawing)
        assert not parse(drawing).find(f"{SVG}title").text.startswith(" ")
