"""The grouping trace runs the engine's own stages: its groups are the engine's, and what it
says glued two incidents did."""

from __future__ import annotations

import pytest

from evalkit.harness import Task, make_world
from evalkit.trace import glue, main, render, trace
from opscontext.engine.correlate import correlate
from opscontext.engine.graph import ServiceGraph


@pytest.mark.parametrize("task", [
    Task("metric_rules", "concurrent-2", "real/sock_shop", 1000),
    Task("fault_injection", "two-faults", "file/otel_demo", 1004),
    Task("request_flow", "baseline", "real/sock_shop", 1000),
    Task("cascade", "default", "real/online_boutique", 3),
])
def test_the_traced_groups_are_the_engines(task: Task) -> None:
    world = make_world(task)
    t = trace(world)
    traced = {frozenset(t.unique[i].alert.fingerprint for i in m) for m in t.members}
    corr = correlate(world.alerts, ServiceGraph.build(world.services, world.edges), world.changes, now=world.now)
    assert traced == {frozenset(g.fingerprints) for g in corr.groups}


def test_a_front_end_explained_by_one_incident_glues_the_other_to_it() -> None:
    # Two databases fail minutes apart behind one front end. Its alerts belong to both; settling
    # keeps only the catalogue below it (an alerting direct dependency beats user-db two hops
    # down), so the front end, mostly the user-db incident's, joins the catalogue incident.
    t = trace(make_world(Task("metric_rules", "concurrent-2", "real/sock_shop", 1000)))
    front = next(i for i, e in enumerate(t.eps) if e.service == "front-end")
    assert t.truth(front) == {"inc-2": 10, "inc-1": 8}
    assert {t.eps[y].service for y in t.kept[front]} == {"catalogue"}
    tally = glue(t)
    assert tally["explanation: two incidents"] == 1  # front-end (inc-2) -> catalogue (inc-1)
    assert tally["explanation: same incident"] == 1  # catalogue -> catalogue-db
    text = render(t)
    assert "inc-2: root user-db" in text
    assert "[inc-1:13,inc-2:10]: catalogue-db" in text  # the merged group and its top


def test_bridge_alerts_say_where_each_went() -> None:
    t = trace(make_world(Task("fault_injection", "two-faults", "real/sock_shop", 1002)))
    assert t.res.bridges  # the front end is explained by two incidents
    text = render(t, bridge_alerts=True)
    lines = [line for line in text.splitlines() if line.startswith("  ep") and "-> comp" in line]
    placed = sum(len(idxs) for per in t.res.placed.values() for idxs in per.values())
    assert len(lines) == placed > 0


def test_bad_arguments_get_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["metric_rules", "no-such-cell", "real/sock_shop", "1"])
    assert "has no cell no-such-cell" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["metric_rules", "baseline"])
    assert "CELL TOPOLOGY SEED" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["span_traces", "--tally"])
    assert "nothing is tuned on it" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["metric_rules", "baseline", "real/no-such-topology", "1"])
    assert "cannot build the world" in capsys.readouterr().err
