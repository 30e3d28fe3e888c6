"""A small JSON Schema checker: the subset ``map.schema.json`` uses.

(type, properties, required, additionalProperties, items, enum, minimum, minLength,
minItems, pattern, $ref to #/$defs). No dependency, so the schema file stays the
single description of the format.
"""

from __future__ import annotations

import re
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
}


def schema_errors(instance: Any, schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(JSON pointer, message) for every place ``instance`` breaks ``schema``."""
    out: list[tuple[str, str]] = []
    _check(instance, schema, schema, "", out)
    return out


def _type_ok(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("number", "integer"):
        return False
    return isinstance(value, _TYPES[name])


def _check(value: Any, schema: dict[str, Any], root: dict[str, Any], at: str, out: list) -> None:
    if "$ref" in schema:
        ref = schema["$ref"]
        node: Any = root
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        _check(value, node, root, at, out)
        return
    want = schema.get("type")
    if want is not None:
        names = want if isinstance(want, list) else [want]
        if not any(_type_ok(value, n) for n in names):
            out.append((at or "/", f"expected {'/'.join(names)}"))
            return
    if "enum" in schema and value not in schema["enum"]:
        out.append((at or "/", f"{value!r} is not one of {schema['enum']}"))
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            out.append((at or "/", "too short"))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append((at or "/", f"does not match {schema['pattern']}"))
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and "minimum" in schema and value < schema["minimum"]:
        out.append((at or "/", f"below minimum {schema['minimum']}"))
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                out.append((at or "/", f"missing required {key!r}"))
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                _check(item, props[key], root, f"{at}/{key}", out)
            elif schema.get("additionalProperties") is False:
                out.append((f"{at}/{key}", "unexpected property"))
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            out.append((at or "/", f"needs at least {schema['minItems']} item(s)"))
        if "items" in schema:
            for i, item in enumerate(value):
                _check(item, schema["items"], root, f"{at}/{i}", out)
