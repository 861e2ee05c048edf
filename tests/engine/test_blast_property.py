"""The index BFS against networkx on random graphs: same reach, distances, paths and counts.

The reference graph is built here from the raw edge list, independently of ServiceGraph, so a
mistake in the index (merging, ranking, filtering) cannot hide behind a shared helper.
"""

from __future__ import annotations

import random
from itertools import pairwise

import networkx as nx
import pytest

from opscontext.engine.blast import BlastRadius, blast_radius
from opscontext.engine.graph import ServiceGraph, tier_number
from opscontext.models import DependencyEdge, EdgeProvenance, Service

PROVS = list(EdgeProvenance)
KINDS = ["depends_on", "calls", "api"]


def random_world(rng: random.Random) -> tuple[list[Service], list[DependencyEdge]]:
    n = rng.randint(1, 30)
    names = [f"svc-{i}" for i in range(n)]
    services = [
        Service(name=name, tier=rng.choice([None, "tier-1", "tier-2", "tier-3"]),
                user_facing=rng.random() < 0.3)
        for name in names if rng.random() < 0.85  # some services only appear on edges
    ]
    edges = [
        DependencyEdge(dependent=rng.choice(names), dependency=rng.choice(names),
                       kind=rng.choice(KINDS), provenance=rng.choice(PROVS))
        for _ in range(rng.randint(0, 3 * n))
    ]
    return services, edges


def reference(edges: list[DependencyEdge], kinds: set[str] | None,
              provs: set[EdgeProvenance] | None) -> nx.DiGraph:
    merged: dict[tuple[str, str], tuple[str, set[str]]] = {}
    for e in edges:
        if e.dependent != e.dependency:
            kind, seen = merged.setdefault((e.dependent, e.dependency), (e.kind, set()))
            seen.update({"declared", "observed"} if e.provenance == "both" else {e.provenance})
    g: nx.DiGraph = nx.DiGraph()
    g.add_nodes_from({e.dependent for e in edges} | {e.dependency for e in edges})
    for (a, b), (kind, seen) in merged.items():
        prov = "both" if len(seen) == 2 else next(iter(seen))
        wanted = provs is None or prov in provs or (
            prov == "both" and bool(provs - {EdgeProvenance.BOTH}))
        if (kinds is None or kind in kinds) and wanted:
            g.add_edge(a, b, observed_only=prov == "observed")
    return g


def rank(services: list[Service], name: str, dist: int) -> tuple[int, bool, int, str]:
    svc = {s.name: s for s in services}.get(name)
    facing = svc.user_facing if svc else False
    return dist, not facing, tier_number(svc.tier if svc else None), name


def check_side(g: nx.DiGraph, source: str, got: list[tuple[str, int, tuple[str, ...]]],
               dist: dict[str, int], services: list[Service], limit: int, toward: bool) -> None:
    """``toward``: paths run from the reported service to the source (impacted side)."""
    want = sorted((rank(services, n, d) for n, d in dist.items() if d > 0))[:limit]
    assert [(name, d) for name, d, _ in got] == [(r[3], r[0]) for r in want]
    for name, d, path in got:
        assert len(path) == d + 1 and len(set(path)) == len(path)
        hops = list(pairwise(path))
        assert all(g.has_edge(a, b) for a, b in hops), (name, path)
        assert (path[0], path[-1]) == ((name, source) if toward else (source, name))


def drift_total(g: nx.DiGraph, up: dict[str, int], down: dict[str, int], depth: int | None) -> int:
    walked = (lambda d: True) if depth is None else (lambda d: d < depth)
    edges = {(a, b) for a, b in g.in_edges([u for u, d in up.items() if walked(d)])}
    edges |= {(a, b) for a, b in g.out_edges([u for u, d in down.items() if walked(d)])}
    return sum(1 for a, b in edges if g.edges[a, b]["observed_only"])


def compare(services: list[Service], edges: list[DependencyEdge], source: str,
            rng: random.Random) -> BlastRadius:
    depth = rng.choice([None, None, 0, 1, 2, 3])
    kinds = rng.choice([None, {"depends_on"}, {"calls", "api"}])
    provs = rng.choice([None, {EdgeProvenance.DECLARED}, {EdgeProvenance.OBSERVED},
                        {EdgeProvenance.BOTH}])
    limit = rng.choice([0, 1, 3, 25])
    r = blast_radius(ServiceGraph.build(services, edges), source, max_depth=depth,
                     edge_kinds=kinds, provenance=provs, limit=limit)
    g = reference(edges, kinds, provs)
    g.add_nodes_from(s.name for s in services)
    up = nx.single_source_shortest_path_length(g.reverse(copy=False), source, cutoff=depth)
    down = nx.single_source_shortest_path_length(g, source, cutoff=depth)
    assert r.impacted_total == len(up) - 1 and r.depends_on_total == len(down) - 1
    check_side(g, source, [(i.service, i.distance, i.path) for i in r.impacted], up, services,
               limit, toward=True)
    check_side(g, source, [(s.service, s.distance, s.path) for s in r.depends_on], down, services,
               limit, toward=False)
    full_up = nx.single_source_shortest_path_length(g.reverse(copy=False), source)
    full_down = nx.single_source_shortest_path_length(g, source)
    assert r.truncated_by_depth == (len(full_up) > len(up) or len(full_down) > len(down))
    assert r.observed_only_edges_total == drift_total(g, up, down, depth)
    facing = {s.name for s in services if s.user_facing}
    assert r.user_facing_reached_total == len(facing & (up.keys() - {source}))
    return r


@pytest.mark.parametrize("seed", range(100))
def test_index_bfs_matches_networkx_on_random_graphs(seed: int) -> None:
    rng = random.Random(seed)
    services, edges = random_world(rng)
    nodes = sorted({s.name for s in services} | {e.dependent for e in edges}
                   | {e.dependency for e in edges})
    for source in rng.sample(nodes, min(len(nodes), 5)):
        compare(services, edges, source, rng)
