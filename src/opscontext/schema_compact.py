"""Shorter schemas for ``tools/list``: what a model needs to call a tool and read its answer.

Clients load every tool's schemas into the model's context before the first question, so their
size is paid on every conversation (issue 9 budgets the whole list at 3,000 tokens). pydantic's
JSON Schema spells things out for validators; this keeps what tells a model what to send (input
types, defaults, bounds, descriptions) and what an answer's fields mean (descriptions, formats,
enums, bounds), and drops what only repeats or restricts:

* ``title`` strings (a property *named* "title" is a schema object and stays);
* ``default: null`` everywhere; in output schemas every ``default`` (an answer always carries
  its values), ``additionalProperties`` false or true (the server never adds fields; true is
  what a schema says anyway), ``required`` (every field is always present, except those whose
  description says they are left out when empty) and the description of an object that keeps
  properties (a model class's docstring, written for developers; what a field holds is said on
  the field);
* ``anyOf: [{"type": T, ...}, {"type": "null"}]`` becomes ``{"type": [T, "null"], ...}``;
* a ``$defs`` entry used once is written in place, so only shared definitions stay behind a
  ``$ref``;
* in output schemas, a property with nothing left to say but its name (``{}``: no description,
  format, enum, bound or described field of its own) is left out, and so is an object or list
  left with no such field: it constrains nothing, the answer carries it under that name with its
  value, and the list paid about four tokens for each (some 230 of them, 850 tokens in all);
* in output schemas, ``"type"`` below the root: the property's name and description say what it
  holds and the answer shows the value. Formats (date-time), enums and bounds (confidence 0..1)
  stay; an array keeps its items unless they are plain values; a nullable object loses its
  ``anyOf`` with null (a schema without ``type`` accepts null; so does a ``$ref`` to one), a map
  of plain values its value type; a bound written ``1.0`` becomes ``1`` and a lone
  ``minimum: 0`` goes (a latency, a rate or a count is never negative, and a model needs no
  telling);
* in input schemas, ``maxLength`` (the server enforces it and says so) and the ``null`` of an
  optional argument (a caller leaves it out instead).

Results are still validated against the full pydantic models on the server.
"""

from __future__ import annotations

import json
from typing import Any


def compact(schema: Any, *, output: bool = True) -> Any:
    """A copy of ``schema`` with the redundancies above removed (``output=False``: an input
    schema, whose defaults tell the model what it gets by leaving an argument out)."""
    out = _compact(_inline_single_use(schema), output)
    if output and isinstance(out, dict):
        out = _null_refs(out, {f"#/$defs/{k}" for k, v in out.get("$defs", {}).items() if _accepts_null(v)})
        # The MCP spec requires an outputSchema of type object at its root, and strict clients
        # (the TypeScript SDK behind the Inspector) reject a tools/list without it.
        out = {"type": "object", **out}
    return out


def _compact(schema: Any, output: bool) -> Any:
    if isinstance(schema, list):
        return [_compact(v, output) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _compact(v, output) for k, v in schema.items() if not _dropped(k, v, output)}
    if output and "properties" in out:
        out.pop("required", None)
        out.pop("type", None)
        props = {k: _plain(_loose(v)) for k, v in out["properties"].items()}
        props = {k: v for k, v in props.items() if v != {}}  # the answer shows the name
        if props:
            out.pop("description", None)  # a model class's docstring, written for developers
            out["properties"] = props
        else:
            del out["properties"]
    elif "properties" in out and isinstance(out["properties"], dict):
        out["properties"] = {k: _argument(v) for k, v in out["properties"].items()}
    nullable = _nullable(out.get("anyOf"))
    if nullable is not None:
        del out["anyOf"]
        merged = {**nullable, **out}
        merged["type"] = [nullable["type"], "null"]
        return merged
    return out


_SCALARS = {"string", "integer", "number", "boolean", "null"}


def _loose(prop: Any) -> Any:
    """Output shapes that constrain nothing a model needs: a nullable object whose schema has no
    ``type`` (it accepts null as it is), a map of plain values (``additionalProperties`` of a
    scalar type), and bounds written as floats (``1.0``) where an integer says the same."""
    if not isinstance(prop, dict):
        return prop
    options = prop.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        other = options[0] if options[1] == {"type": "null"} else options[1]
        if isinstance(other, dict) and "type" not in other and "$ref" not in other:
            prop = {**other, **{k: v for k, v in prop.items() if k != "anyOf"}}
    extra = prop.get("additionalProperties")
    if prop.get("type") == "object" and isinstance(extra, dict) and _plain(extra) == {}:
        prop = {k: v for k, v in prop.items() if k not in ("type", "additionalProperties")}
    if prop.get("minimum") == 0 and "maximum" not in prop:
        prop = {k: v for k, v in prop.items() if k != "minimum"}  # a latency, a rate, a count
    return {k: int(v) if k in ("minimum", "maximum") and isinstance(v, float) and v.is_integer() else v
            for k, v in prop.items()}


def _plain(prop: Any) -> Any:
    """An output property loses its type: its name and description say what it holds and the
    answer shows the value; a format (date-time), enum or bound (0..1) implies a scalar, ``items``
    a list, and a list of plain values loses its ``items`` too."""
    if not isinstance(prop, dict) or "type" not in prop:
        return prop
    kinds = prop["type"]
    kinds = {kinds} if isinstance(kinds, str) else set(kinds)
    out = {k: v for k, v in prop.items() if k != "type"}
    if "array" in kinds and kinds <= {"array", "null"}:
        if _plain(out.get("items")) == {}:
            out.pop("items", None)
        return out
    if kinds == {"object"} and not set(out) & {"properties", "additionalProperties"}:
        return out
    if not kinds <= _SCALARS or set(out) - {"description", "format", "enum", "minimum", "maximum"}:
        return prop
    return out


def _argument(prop: Any) -> Any:
    """An input property without ``maxLength`` (the server still enforces it) and an optional
    argument's ``null`` (leaving it out is how a caller says none)."""
    if not isinstance(prop, dict):
        return prop
    out = {k: v for k, v in prop.items() if k != "maxLength"}
    kinds = out.get("type")
    if isinstance(kinds, list) and "null" in kinds and len(kinds) == 2:
        out["type"] = next(k for k in kinds if k != "null")
    return out


def _dropped(key: str, value: Any, output: bool) -> bool:
    if key == "title" and isinstance(value, str):
        return True
    if key == "default":
        return output or value is None
    return output and key == "additionalProperties" and isinstance(value, bool)


def _accepts_null(schema: Any) -> bool:
    return isinstance(schema, dict) and not set(schema) & {"type", "enum", "const", "$ref", "anyOf"}


def _null_refs(node: Any, refs: set[str]) -> Any:
    """``anyOf: [{"$ref": D}, {"type": "null"}]`` as the ``$ref`` alone where ``D`` accepts null
    anyway (an output object, untyped once compacted)."""
    if isinstance(node, list):
        return [_null_refs(v, refs) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _null_refs(v, refs) for k, v in node.items()}
    options = out.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        other = options[0] if options[1] == {"type": "null"} else options[1]
        if isinstance(other, dict) and set(other) == {"$ref"} and other["$ref"] in refs:
            out = {**other, **{k: v for k, v in out.items() if k != "anyOf"}}
    return out


def _nullable(options: Any) -> dict[str, Any] | None:
    """The non-null branch of ``[{"type": T, ...}, {"type": "null"}]`` when T is one plain type."""
    if not isinstance(options, list) or len(options) != 2 or {"type": "null"} not in options:
        return None
    other = options[0] if options[1] == {"type": "null"} else options[1]
    if isinstance(other, dict) and isinstance(other.get("type"), str) and other["type"] != "null":
        return other
    return None


def _inline_single_use(schema: Any) -> Any:
    """Write each ``$defs`` entry referenced exactly once in place of its ``$ref``."""
    if not isinstance(schema, dict) or not isinstance(schema.get("$defs"), dict):
        return schema
    defs: dict[str, Any] = schema["$defs"]
    text = json.dumps(schema)
    once = {name for name in defs if text.count(json.dumps(f"#/$defs/{name}")) == 1}
    if not once:
        return schema

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.removeprefix("#/$defs/") in once and len(node) == 1:
            return walk(defs[ref.removeprefix("#/$defs/")])
        return {k: walk(v) for k, v in node.items()}

    kept = {k: walk(v) for k, v in defs.items() if k not in once}
    body = {k: walk(v) for k, v in schema.items() if k != "$defs"}
    return {**({"$defs": kept} if kept else {}), **body}
