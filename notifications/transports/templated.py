"""Channels that only send pre-approved templates (WeChat, SMS): which template per event.

A hospital registers its templates with WeChat or the SMS provider and names them in
configuration, per event or with "*" for every event, together with what fills each slot:
`{title}`, `{body}`, `{detail}` or one of the event's numbers (`{room}`, `{desk}`...). Every
value comes from notifications.templates, which admits numbers only, so no slot can carry a
name or an exam.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass

from notifications.transports.base import Outgoing


class TemplateError(ValueError):
    """The configuration names no template for this event, or a slot it cannot fill."""


@dataclass(frozen=True)
class ChannelTemplate:
    template_id: str
    slots: tuple[tuple[str, str], ...]  # (slot name, format); SMS slots are positional

    def fill(self, message: Outgoing) -> list[tuple[str, str]]:
        values = message.fields()
        try:
            return [(name, pattern.format_map(values)) for name, pattern in self.slots]
        except (KeyError, IndexError, ValueError) as exc:
            raise TemplateError(
                f"template {self.template_id} for {message.event}: cannot fill {exc}"
            ) from exc


def parse_templates(text: str | None) -> dict[str, ChannelTemplate]:
    """`{"turn_now": {"template_id": "T1", "fields": {"thing1": "{title}"}}, "*": {...}}`;
    SMS gives `"params": ["{room}", "{desk}"]` instead of named fields."""
    if not text:
        return {}
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("channel templates must be a JSON object keyed by event")
    templates = {}
    for event, spec in raw.items():
        if "fields" in spec:
            slots = tuple((str(k), str(v)) for k, v in dict(spec["fields"]).items())
        else:
            slots = tuple((str(i), str(v)) for i, v in enumerate(spec.get("params", [])))
        templates[str(event)] = ChannelTemplate(str(spec["template_id"]), slots)
    return templates


def template_for(templates: Mapping[str, ChannelTemplate], message: Outgoing) -> ChannelTemplate:
    template = templates.get(message.event) or templates.get("*")
    if template is None:
        raise TemplateError(f"no template configured for {message.event or 'this event'}")
    return template
