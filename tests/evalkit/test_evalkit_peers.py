"""What naming the callee would buy: callers' incident alerts given the next hop to the root."""

from __future__ import annotations

import pytest

from evalkit.harness import Task, make_world
from evalkit.peers import _next_hops, main, naming_callees


def test_callers_incident_alerts_name_the_next_service_towards_the_root() -> None:
    world = make_world(Task("metric_rules", "baseline", "real/online_boutique", 0))
    named, n = naming_callees(world)
    assert n > 0 and len(named.alerts) == len(world.alerts)
    deps = {(e.dependent, e.dependency) for e in world.edges}
    truth = world.truth()
    roots = {i.id: i.root for i in world.incidents}
    changed = 0
    for before, after in zip(world.alerts, named.alerts, strict=True):
        assert before.fingerprint == after.fingerprint and before.starts_at == after.starts_at
        inc = truth[before.fingerprint]
        if "peer_service" in after.labels and "peer_service" not in before.labels:
            changed += 1
            assert inc in roots and before.service != roots[inc]  # never noise, never the root's own
            assert (before.service, after.labels["peer_service"]) in deps  # a real call
        else:
            assert after.labels == before.labels
    assert changed == n
    assert not any("peer_service" in a.labels for a in world.alerts)  # the world itself is left as it was


def test_next_hops_follow_shortest_dependency_paths() -> None:
    world = make_world(Task("metric_rules", "baseline", "real/sock_shop", 0))
    hops = _next_hops(world, "orders-db")
    assert hops["orders"] == "orders-db"
    assert hops[hops["front-end"]] == "orders-db"  # front-end -> orders -> orders-db
    assert "orders-db" not in hops


def test_the_command_prints_both_variants_and_refuses_unknown_cells(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--families", "request_flow", "--topologies", "real/sock_shop", "--seeds", "1", "--jobs", "1"])
    out = capsys.readouterr().out
    assert "| request_flow | as generated |" in out and "| request_flow | callers name the next hop |" in out
    with pytest.raises(SystemExit):
        main(["--families", "request_flow", "--cells", "no-such-cell"])
    assert "no family has the cells" in capsys.readouterr().err
