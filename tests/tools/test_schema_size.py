"""The tool list is paid for in every conversation: it fits 3,000 o200k tokens (issue 9), and
compaction keeps what tells a model what to send and what it gets back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from evalkit.tokens import count_json
from opscontext.schema_compact import compact

pytestmark = pytest.mark.anyio

# Each tool's whole tools/list entry counts: name, title, description, annotations, input and
# output schema. Issue 9 asked for 3,000 tokens for the list; measured on main before its
# trimming: the five tools it named 5,326, with service_health 6,449. After: 2,441 and 2,947.
# incident_context, merged since, adds 1,279 on its own (4,226 for all seven, the default list);
# the second guard only stops that from growing, and `serve --tools` profiles load fewer.
MAX_TOKENS = 3_000
MAX_ALL_TOKENS = 4_300
BUDGETED = ("who_owns", "what_changed", "blast_radius", "get_runbook", "correlate_alerts", "service_health")


def tokens(tools: list[Any]) -> int:
    return sum(count_json(t.model_dump(by_alias=True, exclude_none=True)) for t in tools)


async def test_the_tools_issue_9_trimmed_fit_in_3000_tokens(demo: Client) -> None:
    tools = [t for t in (await demo.list_tools()).tools if t.name in BUDGETED]
    assert len(tools) == len(BUDGETED)
    assert tokens(tools) <= MAX_TOKENS, f"{tokens(tools)} o200k tokens"


async def test_the_whole_default_tools_list_stays_within_its_guard(demo: Client) -> None:
    total = tokens(list((await demo.list_tools()).tools))
    assert total <= MAX_ALL_TOKENS, f"tools/list is {total} o200k tokens"


async def test_every_schema_root_is_an_object_as_the_spec_requires(demo: Client) -> None:
    """The MCP Inspector (TypeScript SDK) rejects a whole tools/list over one root without it."""
    for tool in (await demo.list_tools()).tools:
        assert tool.input_schema.get("type") == "object", tool.name
        assert tool.output_schema is not None and tool.output_schema.get("type") == "object", tool.name


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


async def test_every_cursor_in_an_answer_says_how_to_use_it(demo: Client) -> None:
    for t in (await demo.list_tools()).tools:
        for chunk in json.dumps(t.output_schema).split('next_cursor": ')[1:]:
            assert chunk.startswith('{"description": '), f"{t.name}: a next_cursor without a description"


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
        "type": "object",  # the spec requires it at the root of an outputSchema
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
