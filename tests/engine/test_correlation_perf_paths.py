"""The fast paths of correlation give the same answers as the plain ones they replaced."""

from __future__ import annotations

import gc
import random
import weakref
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel, ValidationError

from evalkit.classic.scenario import ScenarioConfig, generate
from evalkit.classic.topologies import synthetic
from opscontext.engine.correlate import correlate, correlate_lazy
from opscontext.engine.correlation.candidates import Cluster, _order, _rank_many, rank
from opscontext.engine.correlation.dedup import deduplicate, severity_rank
from opscontext.engine.correlation.evidence import evidence
from opscontext.engine.correlation.models import AlertBrief, AlertGroup, Candidate, Correlation, CorrelationOptions
from opscontext.engine.correlation.ranking import ChangeIndex, Scored, ServiceStats
from opscontext.engine.correlation.topology import (
    Adjacency,
    MeetingIndex,
    adjacency,
    build_index,
    dependents_within,
    prepare,
)
from opscontext.engine.graph import ServiceGraph
from opscontext.engine.synthetic import synthetic_world
from opscontext.gcpause import without_gc
from opscontext.models import Alert, AlertState, Change, DependencyEdge, EdgeProvenance, Service

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _random_graph(seed: int, n: int = 120, edges: int = 420) -> ServiceGraph:
    rnd = random.Random(seed)
    names = [f"svc-{i:03d}" for i in range(n)]
    services = [Service(name=s, source="t", tier=rnd.choice(["tier-1", "tier-2", None])) for s in names]
    hubs = names[:4]  # a few heavy dependencies so hub rules and visit caps are exercised
    deps = [
        DependencyEdge(dependent=rnd.choice(names), source="t", provenance=EdgeProvenance.DECLARED,
                       dependency=rnd.choice(hubs) if rnd.random() < 0.3 else rnd.choice(names))
        for _ in range(edges)
    ]
    return ServiceGraph.build(services, deps)


def _by_name(graph: ServiceGraph) -> Adjacency:
    """A hand-made name adjacency without the integer index: the plain reference path."""
    names = list(graph.index.names)
    return Adjacency(succ={s: tuple(graph.dependencies(s)) for s in names},
                     pred={s: tuple(graph.dependents(s)) for s in names})


def _canonical(ix: MeetingIndex) -> dict[str, list[tuple[int, str]]]:
    return {m: sorted(e) for m, e in ix.at.items()}


@pytest.mark.parametrize("seed", range(8))
def test_integer_index_walks_meet_exactly_where_name_walks_meet(seed: int) -> None:
    graph = _random_graph(seed)
    rnd = random.Random(seed)
    alerting = rnd.sample(sorted(graph.index.names), 40)
    for hops, reach in ((1, 300), (2, 300), (3, 300), (2, 12)):
        fast = build_index(adjacency(graph), alerting, max_hops=hops, hub_degree=10, max_reach=reach)
        plain = build_index(_by_name(graph), alerting, max_hops=hops, hub_degree=10, max_reach=reach)
        assert _canonical(fast) == _canonical(plain)
        assert fast.alerting == plain.alerting
        assert fast.hubs == plain.hubs == {n for n in graph.index.names if len(graph.dependents(n)) > 10}
        # the same nodes at each hop (order inside a hop is whatever the set union gave)
        assert {s: [{fast.names[m] for m in lv} for lv in w] for s, w in fast.id_walks.items()} == {
            s: [{plain.names[m] for m in lv} for lv in w] for s, w in plain.id_walks.items()}


@pytest.mark.parametrize("seed", range(4))
def test_memoised_walks_give_the_same_index_on_the_second_call(seed: int) -> None:
    graph = _random_graph(seed)
    adj = adjacency(graph)
    alerting = random.Random(seed).sample(sorted(graph.index.names), 30)
    first = build_index(adj, alerting, max_hops=2, hub_degree=10, max_reach=300)
    assert adj.walks[(2, 300)]  # the walks were kept for the graph
    second = build_index(adj, alerting, max_hops=2, hub_degree=10, max_reach=300)
    assert _canonical(first) == _canonical(second)


@pytest.mark.parametrize("seed", range(4))
def test_walks_prepared_at_load_give_the_index_the_first_call_would_build(seed: int) -> None:
    alerting = random.Random(seed).sample(sorted(_random_graph(seed).index.names), 30)
    prepared = prepare(_random_graph(seed), hub_degree=10, max_hops=2, max_reach=12)
    assert len(prepared.walks[(2, 12)]) == len(prepared.succ)  # every node walked, capped walks too
    cold = adjacency(_random_graph(seed))
    assert not cold.walks
    a = build_index(prepared, alerting, max_hops=2, hub_degree=10, max_reach=12)
    b = build_index(cold, alerting, max_hops=2, hub_degree=10, max_reach=12)
    assert _canonical(a) == _canonical(b) and a.id_walks == b.id_walks


@pytest.mark.parametrize("seed", range(4))
def test_near_lists_exactly_the_one_hop_meeting_points_a_full_scan_finds(seed: int) -> None:
    graph = _random_graph(seed)
    alerting = random.Random(seed).sample(sorted(graph.index.names), 40)
    ix = build_index(adjacency(graph), alerting, max_hops=2, hub_degree=10, max_reach=300)
    scanned: dict[str, set[str]] = {}
    for m, entries in ix.at.items():
        for a, s in entries:
            if a == 1:
                scanned.setdefault(s, set()).add(m)
    for s in ix.alerting:
        assert set(ix.near(s, 1)) == scanned.get(s, set())


def test_adjacency_from_the_index_matches_the_networkx_view() -> None:
    services, edges = synthetic_world(300, seed=3)
    graph = ServiceGraph.build(services, edges)
    adj = adjacency(graph)
    g = graph.g
    assert {n: set(adj.succ[n]) for n in g} == {n: set(g.successors(n)) for n in g}
    assert {n: set(adj.pred[n]) for n in g} == {n: set(g.predecessors(n)) for n in g}
    hub = graph.hubs(1)[0]
    assert dependents_within(adj, hub, 3, 50) == dependents_within(_by_name(graph), hub, 3, 50)


def _alert(fp: str, minute: float, severity: str | None, state: AlertState = AlertState.ACTIVE) -> Alert:
    return Alert(fingerprint=fp, alertname="HighErrorRate", service="checkout", source="t", state=state,
                 severity=severity, starts_at=T0 + timedelta(minutes=minute))


def test_dedup_folds_flaps_keeps_the_worst_severity_and_splits_after_a_quiet_spell() -> None:
    alerts = [_alert("a", 0, "warning"), _alert("a", 0, "warning"), _alert("a", 20, "CRITICAL"),
              _alert("a", 45, None), _alert("a", 200, "info"), _alert("b", 5, "error"),
              _alert("c", 1, "critical", AlertState.SUPPRESSED)]
    d = deduplicate(alerts, timedelta(minutes=60))
    assert [(u.alert.fingerprint, u.firings, u.severity, u.starts_at) for u in d.unique] == [
        ("a", 3, "CRITICAL", T0), ("b", 1, "error", T0 + timedelta(minutes=5)),
        ("a", 1, "info", T0 + timedelta(minutes=200)),
    ]
    assert (d.duplicates_removed, d.flapping, d.suppressed) == (3, {"a": 3}, 1)


def test_remembered_severity_ranks_match_the_table_for_any_spelling() -> None:
    for raw, want in (("Critical", 3), ("PAGE", 3), ("warn", 1), ("", 0), (None, 0), ("odd", 0), ("SEV-1", 3),
                      ("P2", 2), ("disaster", 3), ("Average", 1), ("sev_3", 1), ("info", 0), ("P4", 0)):
        assert severity_rank(raw) == want
        assert severity_rank(raw) == want  # second call answers from memory


def test_pausing_the_collector_restores_it_even_when_the_call_raises() -> None:
    @without_gc
    def boom() -> None:
        assert not gc.isenabled()
        raise ValueError("x")

    assert gc.isenabled()
    with pytest.raises(ValueError):
        boom()
    assert gc.isenabled()
    gc.disable()
    try:
        boom_ok = without_gc(lambda: gc.isenabled())
        assert boom_ok() is False
        assert not gc.isenabled()  # a caller who disabled it keeps it disabled
    finally:
        gc.enable()


def test_a_kept_correlation_is_frozen_and_still_freed_when_dropped() -> None:
    """correlate_lazy freezes what it keeps (gcpause.long_lived): only a reference cycle in it
    would then outlive its last use, so a dropped one must go by reference counting alone."""
    topology = synthetic(400, seed=5)
    graph = ServiceGraph.build(topology.services, topology.edges)
    scenario = generate(topology, 5, ScenarioConfig(hours=6, incidents=(8, 8)))
    lazy = correlate_lazy(scenario.alerts, graph, scenario.changes, now=scenario.now)
    assert gc.get_freeze_count() > 0 and gc.isenabled()
    groups = [lazy.group(p) for p in range(len(lazy))]  # ranked groups, neighbours and all
    assert groups
    refs = [weakref.ref(lazy), weakref.ref(lazy.head), weakref.ref(groups[0])]
    frozen = gc.get_freeze_count()
    del lazy, groups
    assert [r() for r in refs] == [None, None, None]
    assert gc.get_freeze_count() < frozen


def _dump(scored: list[Scored]) -> list[tuple[object, ...]]:
    return [(c.service, c.score, c.alerting, c.explains, c.deps, c.change, c.lag_min, c.onset_s, c.evidence,
             c.between) for c in scored]


@pytest.mark.parametrize("seed", range(6))
def test_one_service_groups_rank_exactly_as_the_general_ranking_does(seed: int) -> None:
    graph = _random_graph(seed)
    adj = adjacency(graph)
    rnd = random.Random(seed)
    names = sorted(graph.index.names)
    kinds = ("deployment", "config", "merge", "incident")
    changes = ChangeIndex([
        Change(id=f"c{i}", service=rnd.choice(names), kind=rnd.choice(kinds), summary="x", version="v2",
               at=T0 + timedelta(minutes=rnd.uniform(-120, 10)))
        for i in range(150)
    ])
    opts = CorrelationOptions(hub_degree=10)
    index = build_index(adj, names, max_hops=2, hub_degree=10, max_reach=300)
    seen_silent = 0
    for s in names:
        stats = {s: ServiceStats(first=T0 + timedelta(seconds=rnd.choice((0, 30.5))), severity="error", count=2)}
        alone = rank(Cluster(members=[0], stats=stats, silent={}), index, adj, changes, opts)
        general = _rank_many(Cluster(members=[0], stats=stats, silent={}), index, adj, changes, opts)
        general.sort(key=_order)
        for sc in general[: opts.max_candidates]:
            sc.evidence = evidence(sc, stats[sc.service] if sc.alerting else None, sc.between)
        assert _dump(alone) == _dump(general)
        seen_silent += sum(1 for c in alone if not c.alerting)
    assert seen_silent > len(names)  # silent candidates were ranked, not only the service itself


def test_groups_built_without_revalidation_equal_validated_models_of_their_own_data() -> None:
    topology = synthetic(400, seed=5)
    graph = ServiceGraph.build(topology.services, topology.edges)
    scenario = generate(topology, 5, ScenarioConfig(hours=6, incidents=(8, 8)))
    result = correlate(scenario.alerts, graph, scenario.changes, now=scenario.now)
    assert len(result.groups) >= 8
    kinds: list[type[BaseModel]] = [AlertGroup, Candidate, AlertBrief]
    for g in result.groups:
        for model in [g, *g.candidates, *g.alerts]:
            assert isinstance(model, tuple(kinds))
            again = type(model).model_validate(model.model_dump())
            assert again == model
            assert again.model_dump_json() == model.model_dump_json()
            assert model.model_fields_set == set(type(model).model_fields)
        with pytest.raises(ValidationError):
            g.summary = "changed"  # still frozen
    assert Correlation.model_validate_json(result.model_dump_json()) == result


def _reference_dependents(graph: ServiceGraph, start: str, max_hops: int, cap: int) -> list[str]:
    """Node by node, each node's dependents in name order, stopping at the cap."""
    seen, out, frontier = {start}, [], [start]
    for _ in range(max_hops):
        nxt = []
        for node in frontier:
            for up in sorted(graph.dependents(node)):
                if up not in seen:
                    seen.add(up)
                    out.append(up)
                    nxt.append(up)
                    if len(out) >= cap:
                        return out
        frontier = nxt
    return out


@pytest.mark.parametrize("seed", range(4))
def test_dependents_within_lists_what_a_node_by_node_walk_lists_in_its_order(seed: int) -> None:
    graph = _random_graph(seed)
    adj = adjacency(graph)
    for start in sorted(graph.index.names)[::7]:
        for hops, cap in ((1, 50), (2, 5), (3, 50), (3, 17), (4, 1000)):
            want = _reference_dependents(graph, start, hops, cap)
            assert dependents_within(adj, start, hops, cap) == want
            assert dependents_within(_by_name(graph), start, hops, cap) == want
