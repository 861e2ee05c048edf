"""Groups ranked on demand are the groups ranked eagerly, in any order they are asked for, and
correlate_alerts' listing pages through them as sorting every group would."""

from __future__ import annotations

import random
from functools import cache

import pytest

from evalkit.classic.scenario import Scenario, ScenarioConfig, generate
from evalkit.classic.topologies import synthetic
from opscontext.engine.correlate import correlate, correlate_lazy
from opscontext.engine.correlation.lazy import LazyCorrelation, _ordered
from opscontext.engine.correlation.models import AlertGroup, Correlation, CorrelationOptions
from opscontext.engine.correlation.nearby import Nearby, neighbours
from opscontext.engine.graph import ServiceGraph
from opscontext.queries.correlate_order import Listing, largest

OPTIONS = CorrelationOptions(max_alerts_listed=5, max_candidates=3)


@cache
def _world(seed: int) -> tuple[ServiceGraph, Scenario]:
    topology = synthetic(400, seed=seed)
    graph = ServiceGraph.build(topology.services, topology.edges)
    return graph, generate(topology, seed, ScenarioConfig(hours=6, incidents=(10, 10), noise_per_service_hour=0.2))


def _lazy(seed: int) -> LazyCorrelation:
    graph, scenario = _world(seed)
    return correlate_lazy(scenario.alerts, graph, scenario.changes, now=scenario.now, options=OPTIONS)


def _eager(seed: int) -> Correlation:
    graph, scenario = _world(seed)
    return correlate(scenario.alerts, graph, scenario.changes, now=scenario.now, options=OPTIONS)


@pytest.mark.parametrize("seed", range(3))
def test_groups_made_in_any_order_are_the_eager_groups(seed: int) -> None:
    eager = _eager(seed)
    assert len(eager.groups) >= 10
    lazy = _lazy(seed)
    positions = list(range(len(lazy)))
    random.Random(seed).shuffle(positions)
    made = {pos: lazy.group(pos) for pos in positions}
    assert [made[pos] for pos in range(len(lazy))] == eager.groups
    assert lazy.head == eager.model_copy(update={"groups": []})
    assert lazy.complete() == eager


@pytest.mark.parametrize("seed", range(3))
def test_one_group_alone_is_the_eager_group_and_ranks_only_its_neighbourhood(seed: int) -> None:
    eager = _eager(seed)
    for pos in (0, len(eager.groups) // 2, len(eager.groups) - 1):
        lazy = _lazy(seed)
        assert lazy.position(eager.groups[pos].id) == pos
        assert lazy.group(pos) == eager.groups[pos]
        assert lazy.alert_count(pos) == eager.groups[pos].alert_count
        assert lazy.services(pos) == eager.groups[pos].services
        assert len(lazy._ranked) < len(eager.groups)  # the rest were never ranked
    assert _lazy(seed).position("grp-nosuchgroup") is None


def _answer_order(groups: list[AlertGroup], service: str | None = None) -> list[AlertGroup]:
    """What correlate_alerts did before groups were lazy: filter, then sort every group."""
    if service is not None:
        groups = [g for g in groups if service in g.services or service in g.impacted_services
                  or any(c.service == service for c in g.candidates)]
    return sorted(groups, key=lambda g: (-g.alert_count, -g.confidence))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("size", [1, 3, 20])
def test_each_page_of_the_listing_is_that_page_of_every_group_sorted(seed: int, size: int) -> None:
    expected = _answer_order(_eager(seed).groups)
    for start in range(0, len(expected) + size, size):
        listing = Listing(_lazy(seed))  # a fresh correlation per page, as a cursor's call may get
        assert len(listing) == len(expected)
        assert listing.page(start, size) == expected[start:start + size]


@pytest.mark.parametrize("seed", range(2))
def test_a_service_filter_lists_the_groups_involving_it_in_the_same_order(seed: int) -> None:
    eager = _eager(seed).groups
    some = {eager[0].primary_contributor, eager[-1].services[0], *eager[len(eager) // 2].impacted_services[:1]}
    for service in sorted(some):
        expected = _answer_order(eager, service)
        listing = Listing(_lazy(seed), service)
        assert listing.page(0, len(expected) + 1) == expected and len(listing) == len(expected)


def test_led_groups_replace_theirs_by_id_and_the_largest_are_a_stable_sort_by_size() -> None:
    eager = _eager(0).groups
    lazy = _lazy(0)
    assert largest(lazy, 5) == sorted(eager, key=lambda g: -g.alert_count)[:5]
    first = _answer_order(eager)[0]
    led = first.model_copy(update={"summary": "Users: checkout pages. " + first.summary})
    assert Listing(lazy, None, {first.id: led}).page(0, 2) == [led, _answer_order(eager)[1]]


@pytest.mark.parametrize("seed", range(3))
def test_neighbours_asked_one_group_at_a_time_are_those_found_for_all_at_once(seed: int) -> None:
    lazy = _lazy(seed)
    clusters, unique, index = lazy._clusters, lazy._unique, lazy._index
    hold = OPTIONS.active_hold.total_seconds()
    every = neighbours(clusters, unique, index, hold)
    assert any(every)  # some groups do have neighbours in these worlds
    nearby = Nearby(clusters, unique, index, hold)
    assert [nearby.of(k) for k in reversed(range(len(clusters)))] == every[::-1]
    # with the graph's dependents, each service's edges are found when its group is asked about
    one_by_one = Nearby(clusters, unique, index, hold, lazy._adj.pred)
    assert [one_by_one.of(k) for k in reversed(range(len(clusters)))] == every[::-1]
    assert one_by_one._all_edges is None


@pytest.mark.parametrize("seed", range(6))
def test_the_engine_order_hashes_only_tied_keys_and_equals_sorting_by_key_then_id(seed: int) -> None:
    rnd = random.Random(seed)
    n = 300
    keys = [(-rnd.randint(0, 3), -rnd.randint(1, 3), float(rnd.randint(0, 40))) for _ in range(n)]
    ids = [f"grp-{rnd.getrandbits(48):012x}" for _ in range(n)]
    hashed: list[int] = []

    def gid(k: int) -> str:
        hashed.append(k)
        return ids[k]

    got = _ordered(n, keys.__getitem__, gid)
    assert got == sorted(range(n), key=lambda k: (keys[k], ids[k]))
    tied = {k for k in range(n) if keys.count(keys[k]) > 1}
    assert set(hashed) == tied


def _naming(seed: int, options: CorrelationOptions) -> tuple[list[AlertGroup], LazyCorrelation, dict[str, list[int]]]:
    """Both engines on world ``seed``, and for every service a group names (alerting, candidate,
    impacted) and 30 that may name none, the positions of the groups whose answer names it."""
    graph, scenario = _world(seed)
    eager = correlate(scenario.alerts, graph, scenario.changes, now=scenario.now, options=options).groups
    lazy = correlate_lazy(scenario.alerts, graph, scenario.changes, now=scenario.now, options=options)
    named = {s for g in eager for s in (*g.services, *g.impacted_services, *(c.service for c in g.candidates))}
    others = random.Random(seed).sample(sorted(graph.index.names), 30)
    return eager, lazy, {service: [pos for pos, g in enumerate(eager) if g in _answer_order([g], service)]
                         for service in sorted(named | set(others))}


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("max_hops", [2, 3])
def test_groups_the_graph_rules_out_for_a_service_never_name_it(seed: int, max_hops: int) -> None:
    """could_involve is a superset of the groups naming a service, for every service any group
    names (alerting, candidate, impacted) and for some that none does: a ranking rule that finds
    candidates further away than it allows fails here."""
    eager, lazy, naming = _naming(seed, OPTIONS.model_copy(update={"max_hops": max_hops}))
    narrowed = 0
    for service, positions in naming.items():
        could = lazy.could_involve(service)
        assert set(positions) <= set(could) and could == sorted(could), service
        narrowed += len(could) < len(eager)
    named = sum(1 for positions in naming.values() if positions)
    assert narrowed > named // 2  # it does rule groups out, or it would save nothing
    assert not lazy._ranked  # asking ranked nothing


@pytest.mark.parametrize("seed", range(3))
def test_the_groups_involving_a_service_are_those_whose_answer_names_it(seed: int) -> None:
    """involving() decides most groups from their own ranking; it must find exactly the groups
    whose assembled answer names the service, including those naming it only as the primary of
    a group beside them (counted, so that the case is really met)."""
    eager, lazy, naming = _naming(seed, OPTIONS)
    beside = 0
    for service, positions in naming.items():
        assert lazy.involving(service) == positions, service
        beside += sum(1 for g in eager for c in g.candidates if c.service == service
                      and service not in g.services and any("primary contributor of" in e for e in c.evidence))
    assert beside > 0
    assert len(lazy._made) < len(eager)  # most groups were decided without being assembled


def test_a_filtered_listing_ranks_only_the_groups_it_cannot_rule_out() -> None:
    eager = _eager(1).groups
    service = eager[len(eager) // 2].primary_contributor
    lazy = _lazy(1)
    before = len(lazy._ranked)
    listing = Listing(lazy, service)
    assert listing.page(0, 50) == _answer_order(eager, service)
    assert len(lazy._ranked) - before < len(eager)
