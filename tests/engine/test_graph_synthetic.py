"""The synthetic world generator: seeded, sized as asked, heavy-tailed, with a few cycles."""

from __future__ import annotations

import statistics

import networkx as nx
import pytest

from opscontext.engine.graph import ServiceGraph
from opscontext.engine.synthetic import PLATFORM, synthetic_world


def test_same_seed_gives_the_same_world_and_another_seed_a_different_one() -> None:
    assert synthetic_world(300, seed=4) == synthetic_world(300, seed=4)
    assert synthetic_world(300, seed=4)[1] != synthetic_world(300, seed=5)[1]


def test_world_has_the_requested_size_unique_names_and_about_the_mean_degree() -> None:
    services, edges = synthetic_world(2000, avg_out_degree=5, seed=1)
    names = {s.name for s in services}
    assert len(services) == len(names) == 2000
    assert 0.8 * 5 * 2000 <= len(edges) <= 1.2 * 5 * 2000
    assert all(e.dependent in names and e.dependency in names for e in edges)
    assert all(e.dependent != e.dependency for e in edges)
    assert len({(e.dependent, e.dependency) for e in edges}) == len(edges)


def test_in_degree_is_heavy_tailed_with_platform_hubs_on_top() -> None:
    services, edges = synthetic_world(5000, seed=2)
    graph = ServiceGraph.build(services, edges)
    in_degrees = [len(graph.dependents(s.name)) for s in services]
    assert max(in_degrees) > 50 * statistics.median(in_degrees)
    assert set(graph.hubs(3)) <= set(PLATFORM)


def test_some_mutual_calls_close_cycles() -> None:
    graph = ServiceGraph.build(*synthetic_world(3000, seed=3))
    cyclic = [c for c in nx.strongly_connected_components(graph.g) if len(c) > 1]
    assert cyclic


def test_front_ends_are_user_facing_and_stores_are_resources() -> None:
    services, _ = synthetic_world(500, seed=0)
    assert all(s.user_facing for s in services if s.name.startswith("web-"))
    assert all(s.kind == "resource" for s in services if s.name.startswith("store-"))
    assert all(s.tier in {"tier-1", "tier-2", "tier-3"} for s in services)


@pytest.mark.parametrize("n", [1, 2, 7, 49])
def test_tiny_worlds_still_build(n: int) -> None:
    services, edges = synthetic_world(n, seed=n)
    assert len(services) == n
    assert len(ServiceGraph.build(services, edges)) == n


def test_an_empty_world_is_refused() -> None:
    with pytest.raises(ValueError):
        synthetic_world(0)
