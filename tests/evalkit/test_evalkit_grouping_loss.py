"""The grouping-loss classes: a hand-built world where each way of grouping loses the deepest
rule's right answer in one known way, and a real world where the classes add up to the loss."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import cast

import pytest

from evalkit.grouping_loss import CLASSES, classify, main, table
from evalkit.harness import Task, make_world, ours
from evalkit.world import TrueIncident, World
from opscontext.models import Alert, DependencyEdge

T0 = datetime(2026, 1, 1, tzinfo=UTC)
# fe -> api -> db -> disk; fe -> cache. Incident x: root db; incident y: root disk or cache.
EDGES = [DependencyEdge(dependent=a, dependency=b) for a, b in
         (("fe", "api"), ("api", "db"), ("db", "disk"), ("fe", "cache"))]
ALERTS = {"db1": ("db", 0), "api1": ("api", 30), "fe1": ("fe", 60), "fe2": ("fe", 90),
          "disk1": ("disk", 40), "cache1": ("cache", 10), "n1": ("disk", 50)}


def world(y_root: str, y_fps: str) -> World:
    alerts = [Alert(fingerprint=fp, alertname="X", service=s, starts_at=T0 + timedelta(seconds=t))
              for fp, (s, t) in ALERTS.items()]
    incidents = [TrueIncident("x", "db", frozenset({"db1", "api1", "fe1", "fe2"}), T0, False, ""),
                 TrueIncident("y", y_root, frozenset(y_fps.split()), T0, False, "")]
    return cast(World, SimpleNamespace(alerts=alerts, edges=EDGES, incidents=incidents))


@pytest.mark.parametrize(("y_root", "y_fps", "groups", "why"), [
    ("cache", "cache1", [["db1"], ["api1", "fe1", "fe2"], ["cache1"]], "root apart, alone"),
    ("cache", "cache1", [["db1", "cache1"], ["api1", "fe1", "fe2"]], "root apart, with another incident"),
    ("cache", "cache1", [["db1", "n1"], ["api1", "fe1", "fe2"], ["cache1"]], "root apart, with noise"),
    ("cache", "cache1", [["api1", "fe1", "fe2"], ["cache1"]], "root apart, ungrouped"),
    ("disk", "disk1", [["db1", "api1", "fe1", "fe2", "disk1"]], "another incident on top"),
    ("cache", "cache1", [["db1", "api1", "fe1", "fe2", "n1"], ["cache1"]], "noise on top"),
])
def test_each_way_of_grouping_loses_the_root_in_its_own_class(
    y_root: str, y_fps: str, groups: list[list[str]], why: str,
) -> None:
    x = classify(world(y_root, y_fps), groups)[0]
    assert x == (True, False, why)


def test_true_groups_lose_nothing() -> None:
    w = world("cache", "cache1")
    assert classify(w, [sorted(i.fingerprints) for i in w.incidents]) == [(True, True, None), (True, True, None)]


def test_on_a_real_world_the_classes_add_up_to_what_grouping_costs() -> None:
    w = make_world(Task("metric_rules", "concurrent-4", "real/online_boutique", 1000))
    pred, _ = ours(w)
    rows = classify(w, [fps for fps, _, _ in pred.groups])
    lost = sum(1 for t, o, _ in rows if t and not o)
    assert lost > 0 and lost == sum(1 for _, _, why in rows if why)  # this cell does lose some
    assert all(why in CLASSES for _, _, why in rows if why)
    line = table([("metric_rules", rows)])[-1]
    assert line.startswith(f"| metric_rules | {len(rows)} |")


def test_the_blind_families_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--families", "outage_replay"])
    assert "scored by the report only" in capsys.readouterr().err
