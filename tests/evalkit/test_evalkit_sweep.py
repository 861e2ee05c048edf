"""The spare-seed A/B tool applies what it is told to the changed variant only."""

from __future__ import annotations

import pytest

from evalkit.harness import Task
from evalkit.sweep import Variant, main, parse_assignments, run_one


def test_assignments_are_python_literals_and_malformed_ones_are_refused() -> None:
    assert parse_assignments(["caller_late=300", "x='a'"], "--set") == {"caller_late": 300, "x": "a"}
    with pytest.raises(SystemExit, match="NAME=VALUE"):
        parse_assignments(["caller_late"], "--set")
    with pytest.raises(SystemExit, match="not a Python literal"):
        parse_assignments(["x=abc def"], "--set")


def test_an_option_override_changes_the_engine_run_and_the_baseline_does_not() -> None:
    task = Task("metric_rules", "baseline", "real/sock_shop", 1001)
    as_is = run_one((task, Variant({}, {})))
    # a link window of one second cannot join an incident's alerts: pair recall falls
    narrow = run_one((task, Variant({"link_window": 1, "caller_late": 1, "dependency_late": 1}, {})))
    assert as_is.score.incidents == narrow.score.incidents > 0
    assert narrow.score.recall < as_is.score.recall
    assert run_one((task, Variant({}, {}))).score == as_is.score


def test_bad_names_and_held_out_families_fail_before_any_work(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit, match="CorrelationOptions has no"):
        main(["--set", "no_such_option=1", "--seeds", "1"])
    with pytest.raises(SystemExit, match="has no NOPE"):
        main(["--const", "ranking.NOPE=1", "--seeds", "1"])
    with pytest.raises(SystemExit):
        main(["--families", "span_traces"])  # nothing is tuned on it
    assert "invalid choice" in capsys.readouterr().err
