"""One guard in front of every view for what no schema can refuse in time: JSON nested deeper
than any CarePath document (the parser would recurse until it fails), and text that no
database or browser can store: NUL bytes (PostgreSQL refuses them) and lone UTF-16
surrogates (not encodable as UTF-8). Each answers 422 naming the field, before any view runs.
A chunked body longer than MAX_CONTENT_LENGTH answers 413, as one with a Content-Length does.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request
from flask_smorest import abort
from marshmallow import Schema, fields
from werkzeug.wsgi import LimitedStream

MAX_DEPTH = 64  # a map or hospital document is a handful of levels deep
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# in the OpenAPI document: no NUL (lone surrogates cannot be sent as UTF-8 text, and their JSON
# escapes are refused all the same). The NUL itself, not an escape: generators read it surely.
STORABLE_TEXT = "^[^\x00]*$"


def init_app(app: Flask) -> None:
    """After the blueprints are registered."""
    app.before_request(_guard)
    strict_body_numbers(app)


def _guard() -> None:
    _refuse_overlong_stream()
    for name, values in request.args.lists():
        for value in [name, *values]:
            if _UNSTORABLE.search(value):
                _refuse("query", name, _reason(value))
    if not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw:
        return
    try:
        body = json.loads(raw)
    except RecursionError:
        _refuse("json", "_body", f"nested too deeply (at most {MAX_DEPTH} levels)")
    except ValueError:
        return  # not JSON at all: the view's parser answers 400 in the common shape
    problem = _first_problem(body)
    if problem is not None:
        _refuse("json", *problem)


def _refuse_overlong_stream() -> None:
    """A chunked body (no Content-Length) is cut at MAX_CONTENT_LENGTH by werkzeug, silently:
    the view would see truncated JSON (422). Past the maximum it is 413, as with a length."""
    if request.content_length is not None:
        return
    stream = request.stream
    request.get_data(cache=True)
    if isinstance(stream, LimitedStream) and stream.is_exhausted:
        stream.read(1)  # raises RequestEntityTooLarge: the body went on past the maximum


def storable_text(_converter: Any, field: fields.Field, ret: dict, **_: Any) -> dict:
    """The OpenAPI document tells what `_guard` refuses: every text field without a pattern of
    its own gets one that leaves out NUL (an apispec attribute function)."""
    if isinstance(field, fields.String) and "pattern" not in ret:
        return {"pattern": STORABLE_TEXT}
    return {}


def _refuse(location: str, field: str, reason: str) -> None:
    field = field or "_body"
    abort(422, message=f"{field}: {reason}", errors={location: {field: [reason]}})


def _first_problem(body: Any) -> tuple[str, str] | None:
    """The first field (dotted path) too deep or holding unstorable text, walking iteratively."""
    pending: list[tuple[str, Any, int]] = [("", body, 1)]
    while pending:
        path, value, depth = pending.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                return path, _reason(value)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            return path, f"nested too deeply (at most {MAX_DEPTH} levels)"
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and _UNSTORABLE.search(key):
                return _join(path, key.encode("unicode_escape").decode()), _reason(key)
            pending.append((_join(path, key), item, depth + 1))
    return None


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _reason(value: str) -> str:
    return (
        "contains a NUL character" if "\x00" in value else "contains an unpaired surrogate (not valid text)"
    )


def strict_body_numbers(app: Flask) -> None:
    """Whole numbers in JSON bodies must be JSON integers: a priority of 1.5 was silently cut
    to 1, and "1" read as 1. Applied at start-up to every JSON body schema the app's views
    declare (nested ones included), so no new endpoint can forget it; query strings, which
    are text by nature, keep marshmallow's conversion."""
    seen: set[type] = set()
    for view in app.view_functions.values():
        view_class = getattr(view, "view_class", None)
        handlers = [getattr(view_class, m.lower(), None) for m in getattr(view_class, "methods", None) or []]
        for handler in [view, *handlers]:
            for parameter in getattr(handler, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                if parameter.get("in") == "json":
                    _make_strict(parameter["schema"], seen)


def _make_strict(schema: Any, seen: set[type]) -> None:
    schema_class = schema if isinstance(schema, type) else type(schema)
    if schema_class in seen:
        return
    seen.add(schema_class)
    declared = list(schema_class._declared_fields.values())
    if not isinstance(schema, type):
        declared += list(schema.fields.values())
    while declared:
        field = declared.pop()
        if isinstance(field, fields.Integer):
            field.strict = True
        elif isinstance(field, fields.List):
            declared.append(field.inner)
        elif isinstance(field, fields.Nested) and isinstance(field.nested, type | Schema):
            _make_strict(field.nested, seen)
