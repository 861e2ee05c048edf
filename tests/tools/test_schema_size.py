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
# output schema. Issue 9 asked for 3,000 tokens for the list. Measured: 6,279 when it was filed
# (five tools); 4,254 for the default seven before output schemas left out bare field names;
# 2,901 after.
MAX_ALL_TOKENS = 3_000
TOOLS = {"who_owns", "what_changed", "blast_radius", "get_runbook", "correlate_alerts", "service_health",
         "incident_context"}


def tokens(tools: list[Any]) -> int:
    return sum(count_json(t.model_dump(by_alias=True, exclude_none=True)) for t in tools)


async def test_the_whole_default_tools_list_fits_in_3000_tokens(demo: Client) -> None:
    tools = list((await demo.list_tools()).tools)
    assert {t.name for t in tools} == TOOLS
    assert tokens(tools) <= MAX_ALL_TOKENS, f"tools/list is {tokens(tools)} o200k tokens"


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


def test_output_compaction_keeps_formats_enums_bounds_descriptions_and_leaves_out_bare_names() -> None:
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
            "latency": {"type": "number", "minimum": 0, "description": "p99"},
            "tags": {"type": "array", "items": {"type": "string"}, "description": "Labels."},
            "step": {"anyOf": [{"$ref": "#/$defs/Step"}, {"type": "null"}], "description": "Next."},
            "last": {"anyOf": [{"$ref": "#/$defs/Step"}, {"type": "null"}]},
        },
        "required": ["n"],
        "$defs": {"Part": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
                  "Owner": {"type": "object", "properties": {"team": {"type": "string"}}, "description": "Docs."},
                  "Step": {"type": "object", "properties": {"after": {"type": "integer", "description": "Min."}},
                           "description": "Docs."}},
    }
    assert compact(schema) == {
        "type": "object",  # the spec requires it at the root of an outputSchema
        "$defs": {"Step": {"properties": {"after": {"description": "Min."}}}},
        "properties": {
            "title": {"description": "kept"},
            "at": {"format": "date-time"},
            "state": {"enum": ["ok", "failed"]},
            "score": {"minimum": 0, "maximum": 1},
            # names, parts, owner (its only field bare), n: no more than their names; gone
            "owner": {"description": "null when none"},
            "counts": {"description": "by reason"},
            "latency": {"description": "p99"},
            "tags": {"description": "Labels."},
            "step": {"$ref": "#/$defs/Step", "description": "Next."},
            "last": {"$ref": "#/$defs/Step"},
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
