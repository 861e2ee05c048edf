"""The terminal interface, driven as a person would (typer's runner, real demo world)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opscontext.cli import app

runner = CliRunner()
DEMO_ALERTS = Path(__file__).resolve().parents[1] / "fixtures" / "demo" / "alerts"


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "connectors", "doctor", "who-owns", "what-changed", "blast-radius",
                    "get-runbook", "correlate-alerts"):
        assert command in result.output


def test_connectors_json_lists_types_with_capabilities_and_config_schema() -> None:
    result = runner.invoke(app, ["connectors", "--json"])
    assert result.exit_code == 0
    data = {c["type"]: c for c in json.loads(result.output)}
    assert data["pagerduty"]["capabilities"] and "properties" in data["pagerduty"]["config"]
    assert "token" in data["pagerduty"]["config"]["properties"]


def test_who_owns_json_is_the_tools_structured_answer() -> None:
    result = runner.invoke(app, ["who-owns", "payment-service", "--demo", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["owner"]["team"] == "payments"


def test_unknown_service_exits_1_with_suggestions() -> None:
    result = runner.invoke(app, ["blast-radius", "paymnt-servce", "--demo"])
    assert result.exit_code == 1
    assert "Did you mean" in result.output and "payment-service" in result.output


def test_missing_config_file_exits_2_naming_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["who-owns", "x", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_misspelt_field_in_config_exits_2_naming_instance_and_field(tmp_path: Path) -> None:
    cfg = tmp_path / "opscontext.toml"
    cfg.write_text('[connectors.alerts]\ntype = "alertmanager"\npaht = "alerts.json"\n')
    result = runner.invoke(app, ["doctor", "--config", str(cfg)])
    assert result.exit_code == 2
    assert "connectors.alerts" in result.output


def test_doctor_still_checks_alert_attribution_against_a_degraded_catalog(tmp_path: Path) -> None:
    world = tmp_path / "demo"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "demo", world)
    (world / "catalog" / "typo.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Componnet\nmetadata: {name: extra}\nspec: {owner: payments}\n")
    result = runner.invoke(app, ["doctor", "--config", str(world / "opscontext.toml"), "--json"])
    assert result.exit_code == 1
    checks = {c["instance"]: c for c in json.loads(result.output)}
    assert checks["catalog"]["state"] == "degraded"
    assert "unknown kind 'Componnet'; did you mean Component?" in checks["catalog"]["detail"]
    assert checks["alerts -> services"]["ok"], "a degraded catalog still answers: its attribution is checked"


@pytest.mark.parametrize("path", ['""', '"  "'])
def test_a_blank_path_is_a_config_error_not_the_config_folder(tmp_path: Path, path: str) -> None:
    """Path("") is "."; a blank path read every file beside the config, ground truth included."""
    cfg = tmp_path / "opscontext.toml"
    cfg.write_text(f'[connectors.alerts]\ntype = "alertmanager"\npath = {path}\n')
    result = runner.invoke(app, ["doctor", "--config", str(cfg)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "connectors.alerts.path: is empty: name the file or directory to read" in text
    assert "Value error" not in text


def test_doctor_on_the_demo_world_passes_and_names_each_instance() -> None:
    result = runner.invoke(app, ["doctor", "--demo", "--json"])
    assert result.exit_code == 0, result.output
    checks = json.loads(result.output)
    assert {c["instance"] for c in checks} == {
        "catalog", "alerts", "changes", "runbooks", "oncall", "escalation", "slos", "metrics", "alerts -> services"
    }
    assert all(c["ok"] for c in checks)
    (identity,) = [c for c in checks if c["type"] == "identity"]
    assert identity["detail"].startswith("all ") and "name a service in the catalog or graph" in identity["detail"]


def test_doctor_fails_with_exit_1_when_a_source_is_broken(tmp_path: Path) -> None:
    cfg = tmp_path / "opscontext.toml"
    cfg.write_text('[connectors.alerts]\ntype = "alertmanager"\npath = "missing-dir"\n')
    result = runner.invoke(app, ["doctor", "--config", str(cfg), "--json"])
    assert result.exit_code == 1
    (check,) = json.loads(result.output)
    assert not check["ok"] and "does not exist" in check["detail"]


def test_correlate_alerts_leads_with_a_failed_alert_source_not_with_zero_groups(tmp_path: Path) -> None:
    cfg = tmp_path / "opscontext.toml"
    cfg.write_text('[connectors.alerts]\ntype = "alertmanager"\npath = "missing-dir"\n')
    result = runner.invoke(app, ["correlate-alerts", "--config", str(cfg)])
    first = " ".join(result.output.split())
    assert first.startswith("Alert source 'alerts' (alertmanager) failed")
    assert "not evidence there are none" in first.split("0 alerts -> 0 groups")[0]


@pytest.mark.parametrize(
    "args",
    [
        ["what-changed", "--since", "6h", "--demo"],
        ["get-runbook", "--query", "kafka broker", "--demo"],
        ["correlate-alerts", "--demo"],
        ["blast-radius", "orders-db", "--demo"],
    ],
)
def test_each_tool_command_renders_readable_output(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "sources:" in result.output


def test_brackets_in_user_input_are_printed_as_text_not_markup() -> None:
    result = runner.invoke(app, ["who-owns", "[/red]", "--demo"])
    assert result.exit_code == 1
    assert "Unknown service '[/red]'" in result.output


def test_an_out_of_range_port_is_a_usage_error() -> None:
    result = runner.invoke(app, ["serve", "--demo", "--transport", "http", "--port", "70000"])
    assert result.exit_code == 2


def test_correlate_alerts_counts_incidents_apart_from_the_lone_warnings_it_lists_last() -> None:
    result = runner.invoke(app, ["correlate-alerts", "--demo", "--json"])
    assert result.exit_code == 0, result.output
    answer = page = json.loads(result.output)
    groups = list(page["groups"])
    while page.get("next_cursor"):
        page = json.loads(runner.invoke(app, ["correlate-alerts", "--demo", "--json", "--cursor",
                                              page["next_cursor"]]).output)
        groups += page["groups"]
    flags = [g["lone_warning"] for g in groups]
    assert len(groups) == answer["groups_out"] and sum(flags) == answer["lone_warnings"] > 0
    assert flags == sorted(flags), "lone warnings come after every incident"
    assert all(g["confidence"] < 0.5 for g in groups if g["lone_warning"])
    text = runner.invoke(app, ["correlate-alerts", "--demo"], terminal_width=200).output
    incidents = answer["groups_out"] - answer["lone_warnings"]
    assert f"221 alerts -> {incidents} groups and {answer['lone_warnings']} lone warnings listed last" in text


def test_serving_on_a_port_in_use_fails_with_one_line_to_act_on() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", "--demo", "--transport", "http", "--port", str(port)])
    assert result.exit_code == 1
    assert f"127.0.0.1:{port} is in use" in " ".join(result.output.split())
    assert "pass --port with a free port" in " ".join(result.output.split())


def test_a_group_id_not_found_in_the_demo_says_why_ids_move_there(tmp_path: Path) -> None:
    # Each command shifts the recording to now again, so an id from an earlier one misses.
    result = runner.invoke(app, ["correlate-alerts", "--demo", "--group-id", "grp-0123456789ab"])
    text = " ".join(result.output.split())
    assert result.exit_code == 1 and "No group 'grp-0123456789ab'" in text
    assert "every command moves to the current time" in text and "opscontext serve" in text
    # A world without a time anchor is never moved: no such word there.
    cfg = tmp_path / "opscontext.toml"
    cfg.write_text(f'[connectors.alerts]\ntype = "alertmanager"\npath = "{DEMO_ALERTS}"\n')
    plain = runner.invoke(app, ["correlate-alerts", "--config", str(cfg), "--group-id", "grp-0123456789ab"])
    assert "No group" in plain.output and "moves to the current time" not in plain.output
