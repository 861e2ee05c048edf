"""A huge or hostile argument is refused with a short message: at most a prefix and its length."""

from __future__ import annotations

import logging

import pytest
from mcp import Client
from typer.testing import CliRunner

from opscontext.cli import app
from opscontext.errors import preview

pytestmark = pytest.mark.anyio
MEGABYTE = "tier-" + "9" * 1_000_090


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("blast_radius", {"service": "payment-service", "tier": MEGABYTE}),
        ("who_owns", {"service": MEGABYTE}),
        ("what_changed", {"since": MEGABYTE}),
        ("get_runbook", {"query": MEGABYTE}),
        ("correlate_alerts", {"service": MEGABYTE}),
    ],
)
async def test_a_one_megabyte_argument_is_refused_without_being_echoed(
    demo: Client, tool: str, args: dict[str, str]
) -> None:
    captured = _Capture()
    logging.getLogger().addHandler(captured)
    try:
        result = await demo.call_tool(tool, args)
    finally:
        logging.getLogger().removeHandler(captured)
    text = " ".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error
    assert len(text) < 1_000 and "9" * 100 not in text
    assert all(len(line) < 3_000 for line in captured.lines)


async def test_an_unknown_but_allowed_argument_is_quoted_by_prefix_and_length(demo: Client) -> None:
    result = await demo.call_tool("blast_radius", {"service": "payment-service", "tier": "t" * 60})
    text = " ".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error and "Known tiers" in text and "t" * 60 in text  # short values are quoted whole


@pytest.mark.parametrize(
    "args",
    [
        ["blast-radius", "payment-service", "--tier", MEGABYTE, "--demo"],
        ["who-owns", MEGABYTE, "--demo"],
        ["what-changed", "--since", MEGABYTE, "--demo"],
        ["get-runbook", "--query", MEGABYTE, "--demo"],
    ],
)
def test_the_cli_refuses_a_one_megabyte_argument_with_a_short_message(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (1, 2)
    assert len(result.output) < 1_000 and "9" * 100 not in result.output


def test_preview_keeps_eighty_characters_and_says_how_long_the_value_was() -> None:
    assert preview("short") == "'short'"
    quoted = preview("x" * 1_000_000)
    assert quoted.startswith("'" + "x" * 80 + "'") and "1,000,000 characters" in quoted and len(quoted) < 120
