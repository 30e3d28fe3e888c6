"""The operators' Grafana dashboard and alert rules parse, and use only metrics CarePath exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

OPS = Path(__file__).resolve().parents[1] / "docs" / "ops"
METRIC = re.compile(r"\bcarepath_[a-z_]+\b")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exported_names(client) -> set[str]:
    """Every series name `/metrics` can show, including labelled ones with no sample yet."""
    text = client.get("/metrics").get_data(as_text=True)
    return {
        family.name + suffix
        for family in text_string_to_metric_families(text)
        for suffix in SUFFIXES.get(family.type, ("",))
    }


def balanced(expr: str) -> bool:
    depth = {"(": 0, "{": 0, "[": 0}
    closing = {")": "(", "}": "{", "]": "["}
    for char in expr:
        if char in depth:
            depth[char] += 1
        elif char in closing:
            depth[closing[char]] -= 1
            if depth[closing[char]] < 0:
                return False
    return not any(depth.values())


def test_alert_rules_parse_and_cover_what_operators_asked_for(client):
    rules = [
        rule
        for group in yaml.safe_load((OPS / "alerts.yml").read_text())["groups"]
        for rule in group["rules"]
    ]
    names = exported_names(client)

    for rule in rules:
        assert rule["alert"].startswith("CarePath") and rule["annotations"]["summary"], rule
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule
        assert balanced(rule["expr"]), rule["expr"]
        used = set(METRIC.findall(rule["expr"]))
        assert used and used <= names, used - names
    exprs = " ".join(rule["expr"] for rule in rules)
    for wanted in ("carepath_outbox_oldest_pending_age_seconds", 'status=~"5.."', 'status="503"', "greedy"):
        assert wanted in exprs


def test_grafana_dashboard_parses_and_every_panel_queries_exported_metrics(client):
    dashboard = json.loads((OPS / "grafana-dashboard.json").read_text())
    names = exported_names(client)

    assert dashboard["title"] and dashboard["uid"] and dashboard["panels"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    shown = set()
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert balanced(target["expr"]), target["expr"]
            used = set(METRIC.findall(target["expr"]))
            assert used and used <= names, (panel["title"], used - names)
            shown |= used
    for family in ("carepath_http_requests_total", "carepath_outbox_pending", "carepath_queue_waiting"):
        assert family in shown
