"""One guard in front of every view for what no schema can refuse in time: JSON nested deeper
than any CarePath document (the parser would recurse until it fails), and text that no
database or browser can store: NUL bytes (PostgreSQL refuses them) and lone UTF-16
surrogates (not encodable as UTF-8). Each answers 422 naming the field, before any view runs.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request
from flask_smorest import abort

MAX_DEPTH = 64  # a map or hospital document is a handful of levels deep
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def init_app(app: Flask) -> None:
    app.before_request(_guard)


def _guard() -> None:
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
