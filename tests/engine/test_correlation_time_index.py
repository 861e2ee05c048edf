"""The time-limited meeting index and the walk-based in-group dependencies answer exactly what
the full index answered: same links, same in-group dependencies."""

from __future__ import annotations

import random

import pytest

from opscontext.engine.correlation.grouping import Episode, Links, link_by_topology
from opscontext.engine.correlation.topology import Adjacency, MeetingIndex, adjacency, build_index
from opscontext.engine.correlation.walks import TimeNear
from opscontext.engine.graph import ServiceGraph
from opscontext.models import DependencyEdge, EdgeProvenance, Service

WINDOW, LATE, CALLER_LATE = 300.0, 240.0, 600.0
REACH = max(WINDOW, CALLER_LATE)  # what onsets.link_reach gives the index as its margin


def _graph(seed: int, n: int = 150, edges: int = 520) -> ServiceGraph:
    rnd = random.Random(seed)
    names = [f"svc-{i:03d}" for i in range(n)]
    hubs = names[:3]  # heavy dependencies, so hub rules and the time filter both matter
    deps = [DependencyEdge(dependent=rnd.choice(names), source="t", provenance=EdgeProvenance.DECLARED,
                           dependency=rnd.choice(hubs) if rnd.random() < 0.3 else rnd.choice(names))
            for _ in range(edges)]
    return ServiceGraph.build([Service(name=s, source="t") for s in names], deps)


def _episodes(
    seed: int, names: list[str], always: tuple[str, ...] = (), over: float = 7200.0, hold: float = REACH - LATE,
) -> tuple[list[Episode], dict[str, list[int]]]:
    """Episodes over two hours: most a single onset, some spread over an hour, so both the
    bucket look-up and its fall-back for long-running services are exercised (``always``:
    services that alert whatever the sample)."""
    rnd = random.Random(seed)
    eps: list[Episode] = []
    by_service: dict[str, list[int]] = {}
    for s in dict.fromkeys([*always, *rnd.sample(names, 70)]):
        t = rnd.uniform(0, over)
        for _ in range(rnd.choice((1, 1, 1, 2))):
            span = rnd.choice((0.0, 0.0, 60.0, 3600.0))
            by_service.setdefault(s, []).append(len(eps))
            # Some still fire after their last onset (up to ``hold``), so late callers and late
            # dependencies link too.
            held = t + span + rnd.choice((0.0, 0.0, rnd.uniform(0.0, hold)))
            eps.append(Episode(s, t, t + span, held=held))
            t += span + rnd.uniform(1000, 3000)
    return eps, by_service


def _spans(eps: list[Episode], by_service: dict[str, list[int]]) -> dict[str, list[tuple[float, float]]]:
    return {s: [(eps[i].first, eps[i].last) for i in ids] for s, ids in by_service.items()}


def _indexes(
    adj: Adjacency, eps: list[Episode], by: dict[str, list[int]], hops: int, margin: float = REACH,
) -> tuple[MeetingIndex, MeetingIndex]:
    full = build_index(adj, by, max_hops=hops, hub_degree=10, max_reach=300)
    timed = build_index(adj, by, max_hops=hops, hub_degree=10, max_reach=300, spans=_spans(eps, by),
                        margin=margin)
    return full, timed


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("hops", [1, 2, 3])
def test_time_limited_index_links_exactly_the_episodes_the_full_index_links(seed: int, hops: int) -> None:
    graph = _graph(seed)
    eps, by = _episodes(seed, sorted(graph.index.names))
    full, timed = _indexes(adjacency(graph), eps, by, hops)
    assert sum(map(len, timed.at.values())) <= sum(map(len, full.at.values()))
    want = link_by_topology(full, eps, by, WINDOW, LATE, CALLER_LATE)
    got = link_by_topology(timed, eps, by, WINDOW, LATE, CALLER_LATE)
    assert want.down or want.siblings  # the worlds do link something
    assert got.down == want.down and list(got.down) == list(want.down)
    assert got.siblings == want.siblings


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("hops", [1, 2, 3])
def test_alerting_hubs_list_only_callers_alerting_near_them_and_link_the_same(seed: int, hops: int) -> None:
    graph = _graph(seed)
    names = sorted(graph.index.names)
    eps, by = _episodes(seed, names, always=tuple(names[:3]))  # the three hubs alert
    full, timed = _indexes(adjacency(graph), eps, by, hops)
    hubs = [h for h in names[:3] if timed.is_hub(h)]
    assert hubs
    for h in hubs:
        callers = [s for a, s in full.at[h] if a == 1]
        assert timed.direct[h] == sum(len(by[s]) for s in callers)  # the chance test's count
        assert {e for e in timed.at[h] if e[0] == 1} <= {e for e in full.at[h] if e[0] == 1}
    assert sum(len(timed.at[h]) for h in hubs) < sum(len(full.at[h]) for h in hubs)
    want = link_by_topology(full, eps, by, WINDOW, LATE, CALLER_LATE)
    got = link_by_topology(timed, eps, by, WINDOW, LATE, CALLER_LATE)
    assert got.down == want.down and got.siblings == want.siblings


@pytest.mark.parametrize("seed", range(6))
def test_late_callers_link_the_same_through_the_time_limited_index(seed: int) -> None:
    """Onsets crowded into half an hour and episodes firing up to 15 minutes past their last
    onset: many callers start minutes after a dependency that still fires. A margin covering the
    longest hold plus LATE keeps every link; REACH alone covers the late callers (the other
    test) but not dependencies starting LATE after such a long hold."""
    graph = _graph(seed)
    eps, by = _episodes(seed, sorted(graph.index.names), over=1800.0, hold=900.0)
    full, timed = _indexes(adjacency(graph), eps, by, 2, margin=900.0 + LATE)
    want = link_by_topology(full, eps, by, WINDOW, LATE, CALLER_LATE)
    got = link_by_topology(timed, eps, by, WINDOW, LATE, CALLER_LATE)
    assert got.down == want.down and got.siblings == want.siblings
    late = _late_links(want, link_by_topology(full, eps, by, WINDOW, LATE, 0.0))
    assert all(WINDOW < eps[x].first - eps[t].last <= CALLER_LATE and eps[x].first <= eps[t].held for x, t in late)


def _late_links(with_late: Links, without: Links) -> set[tuple[int, int]]:
    """Dependency links (caller, dependency) that only ``caller_late`` made."""
    def pairs(links: Links) -> set[tuple[int, int]]:
        return {(x, t) for x, ts in links.down.items() for t in ts}
    return pairs(with_late) - pairs(without)


def test_the_crowded_worlds_do_have_late_callers() -> None:
    """The test above is not vacuous: its worlds hold links only a late caller makes."""
    total = 0
    for seed in range(6):
        graph = _graph(seed)
        eps, by = _episodes(seed, sorted(graph.index.names), over=1800.0, hold=900.0)
        full = build_index(adjacency(graph), by, max_hops=2, hub_degree=10, max_reach=300)
        total += len(_late_links(link_by_topology(full, eps, by, WINDOW, LATE, CALLER_LATE),
                                 link_by_topology(full, eps, by, WINDOW, LATE, 0.0)))
    assert total >= 5


def test_time_limited_index_drops_last_hop_callers_that_alert_at_other_times() -> None:
    graph = _graph(1)
    eps, by = _episodes(1, sorted(graph.index.names))
    full, timed = _indexes(adjacency(graph), eps, by, 2)
    assert sum(map(len, timed.at.values())) < sum(map(len, full.at.values()))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("by_name", [False, True])
def test_in_group_lists_every_member_pair_the_full_meeting_lists_hold(seed: int, by_name: bool) -> None:
    graph = _graph(seed)
    adj = adjacency(graph)
    if by_name:  # the plain path without the integer index
        adj = Adjacency(succ=adj.succ, pred=adj.pred)
    rnd = random.Random(seed)
    alerting = rnd.sample(sorted(graph.index.names), 60)
    ix = build_index(adj, alerting, max_hops=2, hub_degree=10, max_reach=300)
    for size in (2, 5, 20):
        group = set(rnd.sample(sorted(ix.alerting), size))
        scanned = {(a, s, m) for m in group for a, s in ix.at.get(m, ()) if s != m and s in group}
        got = ix.in_group(group)
        assert len(got) == len(set(got))
        assert set(got) == scanned


@pytest.mark.parametrize("seed", range(8))
def test_time_buckets_find_every_service_alerting_within_the_margin(seed: int) -> None:
    names = [f"svc-{i:03d}" for i in range(150)]
    eps, by = _episodes(seed, names)
    ids = {s: i for i, s in enumerate(names)}
    everyone = {ids[s] for s in by}
    near = TimeNear(ids, _spans(eps, by), WINDOW, everyone)
    level = tuple(sorted(everyone))
    for s, mine in by.items():
        close = {ids[t] for t, theirs in by.items()
                 if any(eps[j].first - eps[i].last <= WINDOW and eps[i].first - eps[j].last <= WINDOW
                        for i in mine for j in theirs)}
        found = set(near.intersection(s, level))
        assert close <= found
        assert found <= everyone
