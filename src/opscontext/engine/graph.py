"""The service dependency graph.

Edge ``a -> b`` means *a depends on b*: failures flow from b to a (b's dependents are impacted),
and when a misbehaves, b is a suspect. Node attributes carry what ranking needs (tier,
user-facing, kind, owner); edges carry kind and provenance (declared / observed / both).

Nodes are canonical service names (``Service.name``). Edges naming services the catalog does not
know still create nodes, so telemetry-only services are visible.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from opscontext.models import DependencyEdge, EdgeProvenance, Service


class ServiceGraph:
    def __init__(self, g: nx.DiGraph) -> None:
        self.g = g

    @classmethod
    def build(cls, services: Iterable[Service], edges: Iterable[DependencyEdge]) -> ServiceGraph:
        g: nx.DiGraph = nx.DiGraph()
        for s in services:
            g.add_node(s.name, tier=s.tier, user_facing=s.user_facing, kind=s.kind, owner=s.owner, type=s.type)
        for e in edges:
            if e.dependent == e.dependency:
                continue  # a self-loop explains nothing and would only confuse traversals
            if g.has_edge(e.dependent, e.dependency):
                data = g.edges[e.dependent, e.dependency]
                if data["provenance"] != e.provenance:
                    data["provenance"] = EdgeProvenance.BOTH
                continue
            g.add_edge(e.dependent, e.dependency, kind=e.kind, provenance=e.provenance)
        return cls(g)

    def __contains__(self, name: object) -> bool:
        return name in self.g

    def __len__(self) -> int:
        return int(self.g.number_of_nodes())

    def dependencies(self, name: str) -> list[str]:
        """Direct dependencies of ``name`` (what it calls / needs)."""
        return list(self.g.successors(name)) if name in self.g else []

    def dependents(self, name: str) -> list[str]:
        """Direct dependents of ``name`` (who calls / needs it)."""
        return list(self.g.predecessors(name)) if name in self.g else []
