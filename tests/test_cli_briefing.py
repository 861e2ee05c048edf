"""The terminal side of issue 10: the briefing command, tool profiles at serve, diagrams that stay
parseable at any width, progress after a second, and text that reads right."""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from opscontext.answers import RunbookAnswer, RunbookHit
from opscontext.cli import app
from opscontext.cli_progress import Spinner, report
from opscontext.render import print_diagram, render_runbooks

runner = CliRunner()
# One Mermaid statement a line, as engine/mermaid.py writes them.
STATEMENT = re.compile(
    r"^(flowchart \w+|graph \w+|\s+classDef \w+ .+|\s+class [\w,]+ \w+|\s+\w+\[\".*\"\]|\s+\w+ (-->|-.->) \w+)$"
)


def test_incident_context_prints_what_who_why_and_next() -> None:
    result = runner.invoke(app, ["incident-context", "payment-service", "--demo"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "payment-service is the likely primary contributor" in text
    assert "1. Call Dana Reyes (+1-555-0109)" in text
    assert "section 3. Bad deploy / rollback" in text and "sources: 9 ok" in text


def test_incident_context_json_is_the_tools_answer_within_budget() -> None:
    result = runner.invoke(app, ["incident-context", "orders-db", "--demo", "--json", "--max-tokens", "1500"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["group"]["primary_contributor"] == "orders-db" and answer["tokens"] <= 1500


def test_an_unknown_subject_exits_1_with_suggestions() -> None:
    result = runner.invoke(app, ["incident-context", "paymnt-servce", "--demo"])
    assert result.exit_code == 1 and "Did you mean: payment-service" in result.output


def test_serve_refuses_an_unknown_tool_profile_listing_the_valid_names() -> None:
    result = runner.invoke(app, ["serve", "--demo", "--tools", "core,whoowns"])
    assert result.exit_code == 2
    flat = " ".join(result.output.split())
    assert "unknown tool 'whoowns'" in flat and "incident_context" in flat and "core, all" in flat


def _diagram() -> str:
    result = runner.invoke(app, ["blast-radius", "payment-service", "--demo", "--json"])
    assert result.exit_code == 0, result.output
    diagram: str = json.loads(result.output)["diagram"]
    return diagram


@pytest.mark.parametrize("width", [30, 80])
def test_a_printed_diagram_keeps_one_statement_a_line_at_any_width(width: int) -> None:
    diagram = _diagram()
    console = Console(width=width, record=True, file=io.StringIO())
    print_diagram(diagram, console)
    printed = console.export_text().splitlines()
    assert printed == diagram.splitlines()
    assert all(STATEMENT.match(line) for line in printed), [x for x in printed if not STATEMENT.match(x)]
    assert max(len(line) for line in printed) > width, "the check needs lines wider than the terminal"


def test_the_diagram_can_go_to_a_file_instead(tmp_path: Path) -> None:
    target = tmp_path / "blast.mmd"
    result = runner.invoke(app, ["blast-radius", "payment-service", "--demo", "--diagram-file", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == _diagram() + "\n"
    assert "diagram written to" in result.output and "flowchart" not in result.output


def test_runbook_excerpts_are_cut_at_a_word_with_an_ellipsis() -> None:
    body = " ".join(["rollback"] * 120)
    hit = RunbookHit(title="t", services=[], location="x.md", score=1.0, matched_on=[], excerpt=body, source="rb")
    console = Console(width=2000, record=True, file=io.StringIO())
    render_runbooks(RunbookAnswer(runbooks=[hit]), console)
    line = next(x for x in console.export_text().splitlines() if "rollback" in x)
    assert line.rstrip().endswith("rollback…") and len(line.strip()) <= 600


def test_correlation_headline_counts_read_right() -> None:
    result = runner.invoke(app, ["correlate-alerts", "--demo"])
    assert result.exit_code == 0
    assert re.search(r"\d+ alerts -> \d+ groups", result.output)
    assert not re.search(r"\b1 (alerts|groups|duplicates)\b", result.output)


def _run(spinner: Spinner) -> str:
    async def work() -> str:
        # Loop timers fire in deadline order: a threshold below this sleep always passes first.
        await asyncio.sleep(0.2)
        await report(1, 2, "correlating 221 alerts")
        return "done"

    return asyncio.run(spinner.run(work()))


def test_work_longer_than_the_threshold_shows_a_status_line_with_the_latest_step() -> None:
    stream = io.StringIO()
    spinner = Spinner(Console(file=stream, force_terminal=True, width=100), "asking the sources", after=0.01)
    assert _run(spinner) == "done"
    assert "asking the sources" in stream.getvalue() and "correlating 221 alerts (1/2)" in stream.getvalue()


def test_quick_work_prints_no_status_line() -> None:
    stream = io.StringIO()
    spinner = Spinner(Console(file=stream, force_terminal=True, width=100), "asking the sources", after=60)
    assert _run(spinner) == "done"
    assert stream.getvalue() == ""


def test_help_lists_the_briefing_command_and_serve_lists_the_tools_option() -> None:
    assert "incident-context" in runner.invoke(app, ["--help"]).output
    assert "--tools" in runner.invoke(app, ["serve", "--help"]).output
