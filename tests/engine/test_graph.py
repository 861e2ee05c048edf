"""ServiceGraph: the pinned public API, the lazily built networkx view and the integer index."""

from __future__ import annotations

import networkx as nx
import pytest

from opscontext.engine.graph import ServiceGraph, tier_number
from opscontext.models import DependencyEdge, EdgeProvenance, Service

DEC, OBS, BOTH = EdgeProvenance.DECLARED, EdgeProvenance.OBSERVED, EdgeProvenance.BOTH


def edge(a: str, b: str, prov: EdgeProvenance = DEC, kind: str = "depends_on") -> DependencyEdge:
    return DependencyEdge(dependent=a, dependency=b, provenance=prov, kind=kind)


def small() -> ServiceGraph:
    services = [
        Service(name="web", tier="tier-1", user_facing=True, owner="team-web", type="website"),
        Service(name="api", tier="tier-2", owner="team-api"),
        Service(name="db", tier="tier-1", kind="resource", type="database"),
    ]
    edges = [edge("web", "api"), edge("api", "db", OBS), edge("api", "db", DEC),
             edge("api", "api"), edge("api", "tracing-only", OBS, "calls")]
    return ServiceGraph.build(services, edges)


def test_dependencies_and_dependents_follow_edge_direction() -> None:
    g = small()
    assert set(g.dependencies("api")) == {"db", "tracing-only"}
    assert g.dependents("api") == ["web"]
    assert g.dependencies("db") == []
    assert g.dependents("nowhere") == [] and g.dependencies("nowhere") == []


def test_self_loops_are_dropped_and_repeated_edges_merge_provenance_to_both() -> None:
    g = small()
    assert not g.g.has_edge("api", "api")
    assert g.g.edges["api", "db"]["provenance"] is BOTH
    assert g.edge_count == g.g.number_of_edges() == 3


def test_networkx_view_keeps_node_and_edge_attributes_others_rely_on() -> None:
    g = small().g
    assert g.nodes["web"] == {"tier": "tier-1", "user_facing": True, "kind": "component",
                              "owner": "team-web", "type": "website"}
    assert g.edges["api", "tracing-only"] == {"kind": "calls", "provenance": OBS}
    assert list(g.nodes) == ["web", "api", "db", "tracing-only"]  # first-seen order


def test_services_only_seen_on_edges_become_nodes_without_catalog_attributes() -> None:
    g = small()
    assert "tracing-only" in g and len(g) == 4
    assert g.g.nodes["tracing-only"] == {}
    assert "ghost" not in g


def test_graph_built_from_networkx_indexes_the_same_way() -> None:
    nxg: nx.DiGraph = nx.DiGraph()
    nxg.add_node("a", tier="tier-1", user_facing=True)
    nxg.add_edge("a", "b", kind="calls", provenance="observed")
    nxg.add_edge("b", "c")  # no attributes at all: read as a declared depends_on edge
    nxg.add_edge("c", "c")
    g = ServiceGraph(nxg)
    assert g.g is nxg
    assert g.dependencies("a") == ["b"] and g.dependents("c") == ["b"]
    ix = g.index
    assert ix.edge_code(ix.ids["a"], ix.ids["b"]) & 3 == 2
    assert ix.kinds[ix.edge_code(ix.ids["b"], ix.ids["c"]) >> 2] == "depends_on"
    assert g.edge_count == 2


def test_index_ids_rank_user_facing_then_tier_then_name() -> None:
    services = [Service(name=n, tier=t, user_facing=u) for n, t, u in
                [("zeta", "tier-1", False), ("alpha", "tier-3", False), ("mid", None, False),
                 ("face", "tier-2", True), ("beta", "tier-1", False)]]
    g = ServiceGraph.build(services, [])
    assert g.index.names == ["face", "beta", "zeta", "alpha", "mid"]


def test_repeated_catalog_entries_keep_the_last_attributes() -> None:
    g = ServiceGraph.build([Service(name="a", tier="tier-3"), Service(name="a", tier="tier-1")], [])
    assert len(g) == 1 and g.g.nodes["a"]["tier"] == "tier-1"


def test_hubs_are_the_services_with_most_direct_dependents() -> None:
    edges = [edge(f"s{i}", "auth") for i in range(5)] + [edge("s0", "db"), edge("s1", "db")]
    assert ServiceGraph.build([], edges).hubs(2) == ["auth", "db"]


def test_an_empty_graph_is_usable() -> None:
    g = ServiceGraph()
    assert len(g) == 0 and "x" not in g and g.edge_count == 0


@pytest.mark.parametrize(("tier", "number"), [
    ("tier-1", 1), ("Tier 2", 2), ("0", 0), (3, 3), (None, 99), ("gold", 99),
])
def test_tier_number_reads_common_spellings(tier: str | int | None, number: int) -> None:
    assert tier_number(tier) == number
