"""The tool list is paid for in every conversation: it fits 3,000 o200k tokens (issue 9), and
compaction keeps what tells a model what to send and what it gets back."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from evalkit.tokens import count_json
from opscontext.schema_compact import compact

pytestmark = pytest.mark.anyio

# Every tool's whole tools/list entry: name, title, description, annotations, input and output
# schema. Measured 5,326 on main before issue 9's trimming (five tools), 2,935 after.
MAX_TOOLS_LIST_TOKENS = 3_000


async def test_the_whole_tools_list_fits_in_3000_tokens(demo: Client) -> None:
    tools = (await demo.list_tools()).tools
    total = sum(count_json(t.model_dump(by_alias=True, exclude_none=True)) for t in tools)
    assert total <= MAX_TOOLS_LIST_TOKENS, f"tools/list is {total} o200k tokens"


async def test_published_schemas_carry_no_titles_or_null_defaults_and_every_argument_is_described(
    demo: Client,
) -> None:
    tools = (await demo.list_tools()).tools
    text = json.dumps([[t.input_schema, t.output_schema] for t in tools])
    assert '"title": "' not in text
    assert '"default": null' not in text
    for t in tools:
        for name, prop in t.input_schema["properties"].items():
            assert prop.get("description"), f"{t.name}.{name} tells the model nothing"


async def test_every_cut_count_and_cursor_in_an_answer_is_described(demo: Client) -> None:
    tools = (await demo.list_tools()).tools
    for t in tools:
        text = json.dumps(t.output_schema)
        for key in ("_omitted", "next_cursor"):
            for chunk in text.split(f'{key}": ')[1:]:
                assert chunk.startswith('{"description": '), f"{t.name}: a {key} field without a description"


def test_output_compaction_keeps_formats_enums_bounds_descriptions_and_a_property_named_title() -> None:
    schema = {
        "title": "Thing",
        "type": "object",
        "additionalProperties": False,
        "description": "A model's docstring.",
        "properties": {
            "title": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Title",
                      "description": "kept"},
            "at": {"type": "string", "format": "date-time"},
            "state": {"type": "string", "enum": ["ok", "failed"]},
            "score": {"type": "number", "minimum": 0.0, "maximum": 1.0},
            "names": {"type": "array", "items": {"type": "string"}},
            "parts": {"type": "array", "items": {"$ref": "#/$defs/Part"}},
            "owner": {"anyOf": [{"$ref": "#/$defs/Owner"}, {"type": "null"}], "description": "null when none"},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}, "description": "by reason"},
            "n": {"type": "integer", "default": 3, "title": "N"},
        },
        "required": ["n"],
        "$defs": {"Part": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
                  "Owner": {"type": "object", "properties": {"team": {"type": "string"}}, "description": "Docs."}},
    }
    assert compact(schema) == {
        "properties": {
            "title": {"description": "kept"},
            "at": {"format": "date-time"},
            "state": {"enum": ["ok", "failed"]},
            "score": {"minimum": 0, "maximum": 1},
            "names": {"type": "array"},
            "parts": {"items": {"properties": {"x": {}}}},
            "owner": {"properties": {"team": {}}, "description": "null when none"},
            "counts": {"description": "by reason"},
            "n": {},
        },
    }


def test_input_compaction_keeps_defaults_bounds_and_required() -> None:
    schema = {
        "type": "object",
        "title": "toolArguments",
        "properties": {
            "since": {"anyOf": [{"type": "string", "maxLength": 64}, {"type": "null"}], "default": None,
                      "title": "Since", "description": "When."},
            "limit": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 200}, {"type": "null"}],
                      "default": None, "description": "How many."},
            "deps": {"type": "boolean", "default": True, "description": "Also dependencies."},
            "service": {"type": "string", "maxLength": 200, "description": "Which."},
        },
        "required": ["service"],
    }
    assert compact(schema, output=False) == {
        "type": "object",
        "properties": {
            "since": {"type": "string", "description": "When."},
            "limit": {"type": "integer", "minimum": 1, "maximum": 200, "description": "How many."},
            "deps": {"type": "boolean", "default": True, "description": "Also dependencies."},
            "service": {"type": "string", "description": "Which."},
        },
        "required": ["service"],
    }
