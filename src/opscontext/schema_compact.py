"""Shorter output schemas for ``tools/list``: the same constraints in fewer tokens.

Clients load every tool's schemas into the model's context before the first question, so their
size is paid on every conversation. pydantic's JSON Schema spells things out: a ``title`` for every
field (its name, capitalised), ``anyOf: [{X}, {"type": "null"}]`` with ``default: null`` for every
optional field. This keeps every constraint a client validates against and every ``description``
a model reads, and drops only what repeats the field name or the default:

* ``title`` strings (a property *named* "title" is a schema object and stays);
* ``default: null``;
* ``anyOf: [{"type": T, ...}, {"type": "null"}]`` becomes ``{"type": [T, "null"], ...}``.
"""

from __future__ import annotations

from typing import Any


def compact(schema: Any) -> Any:
    """A copy of ``schema`` with the redundancies above removed."""
    if isinstance(schema, list):
        return [compact(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: compact(v) for k, v in schema.items()
           if not (k == "title" and isinstance(v, str)) and not (k == "default" and v is None)}
    nullable = _nullable(out.get("anyOf"))
    if nullable is not None:
        del out["anyOf"]
        merged = {**nullable, **out}
        merged["type"] = [nullable["type"], "null"]
        return merged
    return out


def _nullable(options: Any) -> dict[str, Any] | None:
    """The non-null branch of ``[{"type": T, ...}, {"type": "null"}]`` when T is one plain type."""
    if not isinstance(options, list) or len(options) != 2 or {"type": "null"} not in options:
        return None
    other = options[0] if options[1] == {"type": "null"} else options[1]
    if isinstance(other, dict) and isinstance(other.get("type"), str) and other["type"] != "null":
        return other
    return None
