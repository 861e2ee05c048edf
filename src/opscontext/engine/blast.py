"""Blast radius: who is hurt when a service fails, and what it depends on.

Impact flows from the failing service to everything that depends on it, transitively (reverse
edges); suspects are what it depends on (forward edges). Both sides are one breadth-first
search over the graph's integer index, level by level with set operations (the per-node work
runs in C, which is what keeps a hub with tens of thousands of dependents within budget).

Only the top ``limit`` entries get a path. Paths are rebuilt afterwards from the distance
levels, always stepping to the most critical neighbour one level closer, so the path shown is
deterministic and prefers user-facing, high-tier hops. Everything else is counted exactly but
never materialised as a name or a model.

Filters: ``edge_kinds`` and ``provenance`` restrict which edges the traversal may walk;
``only_user_facing`` and ``tier`` restrict what is *reported* as impacted (the traversal still
passes through other services, so a user-facing service behind an internal one is found).
Suspects, ``user_facing_reached`` and ``high_tier_reached`` ignore the reporting filters: they
answer fixed questions about the neighbourhood.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from typing import Literal

from pydantic import Field

from opscontext.engine.graph import BITS_PROV, Adjacency, GraphIndex, ServiceGraph, View
from opscontext.engine.mermaid import NodeInfo, render_neighbourhood
from opscontext.models import EdgeProvenance, Frozen

ViaProvenance = Literal["declared", "observed", "both", "mixed"]
_VIA: dict[int, ViaProvenance] = {1: "declared", 2: "observed", 3: "both", 0: "mixed"}


class ImpactedService(Frozen):
    service: str
    distance: int
    path: tuple[str, ...]  # from this service down to the failing one
    user_facing: bool
    tier: str | None
    owner: str | None
    via_provenance: ViaProvenance  # the path's edges: all declared, all observed, both, or mixed


class DependencyHit(Frozen):
    service: str
    distance: int
    path: tuple[str, ...]  # from the failing service down to this dependency


class DriftEdge(Frozen):
    """An edge telemetry saw but no catalog declares: the topology has drifted here."""

    dependent: str
    dependency: str
    kind: str
    hop: int  # how many hops from the failing service this edge is walked


class BlastRadius(Frozen):
    service: str
    impacted: tuple[ImpactedService, ...]
    impacted_total: int
    impacted_omitted: int = Field(description="Not listed; raise limit.")
    depends_on: tuple[DependencyHit, ...]
    depends_on_total: int
    depends_on_omitted: int = Field(description="Not listed; raise limit.")
    user_facing_reached: tuple[str, ...]
    user_facing_reached_total: int
    high_tier_reached: tuple[str, ...]  # tier-1 (and tier-0) services impacted
    high_tier_reached_total: int
    truncated_by_depth: bool
    observed_only_edges: tuple[DriftEdge, ...]
    observed_only_edges_total: int
    diagram: str  # Mermaid flowchart of the neighbourhood


Levels = list[set[int]]
# The diagram draws the nearest user-facing casualties first, even when nearer internal
# services fill the ranked list: they are what a responder must see.
DIAGRAM_USER_FACING = 5


def blast_radius(
    graph: ServiceGraph,
    service: str,
    *,
    max_depth: int | None = None,
    edge_kinds: Iterable[str] | None = None,
    provenance: EdgeProvenance | str | Iterable[EdgeProvenance | str] | None = None,
    only_user_facing: bool = False,
    tier: str | int | None = None,
    limit: int = 25,
) -> BlastRadius:
    """Rank what a failure of ``service`` reaches; raises KeyError for an unknown service."""
    ix = graph.index
    src = ix.ids[service]  # KeyError for the caller to map
    if limit < 0 or (max_depth is not None and max_depth < 0):
        raise ValueError("limit and max_depth must not be negative")
    view = ix.view(_allowed_codes(ix, edge_kinds, provenance))
    up, up_cut = _levels(view.rev, src, max_depth)
    down, down_cut = _levels(view.fwd, src, max_depth)
    top_up, up_total = _top(up, ix.members(only_user_facing, tier), limit)
    top_down, down_total = _top(down, None, limit)
    uf_names, uf_total = _top(up, ix.user_facing_ids, limit)
    hi_names, hi_total = _top(up, ix.high_tier_ids, limit)
    walked = (len(up), len(down)) if max_depth is None else (max_depth, max_depth)
    drift = _top_drift(ix, view, up[: walked[0]], down[: walked[1]], limit)
    impacted = [_impacted(ix, view.fwd, up, v, d) for d, v in top_up]
    suspects = [DependencyHit(service=ix.names[v], distance=d,
                              path=tuple(ix.names[u] for u in _path(view.rev, down, v, d)[::-1]))
                for d, v in top_down]
    return BlastRadius(
        service=service,
        impacted=tuple(impacted),
        impacted_total=up_total,
        impacted_omitted=up_total - len(impacted),
        depends_on=tuple(suspects),
        depends_on_total=down_total,
        depends_on_omitted=down_total - len(suspects),
        user_facing_reached=tuple(ix.names[v] for _, v in uf_names),
        user_facing_reached_total=uf_total,
        high_tier_reached=tuple(ix.names[v] for _, v in hi_names),
        high_tier_reached_total=hi_total,
        truncated_by_depth=up_cut or down_cut,
        observed_only_edges=tuple(drift),
        observed_only_edges_total=_count_drift(view, up[: walked[0]], down[: walked[1]]),
        diagram=_diagram(ix, view.fwd, service, [
            tuple(ix.names[u] for u in _path(view.fwd, up, v, d))
            for d, v in uf_names[:DIAGRAM_USER_FACING]
        ] + [hit.path for hit in impacted], suspects, up, down),
    )


def _allowed_codes(
    ix: GraphIndex,
    edge_kinds: Iterable[str] | None,
    provenance: EdgeProvenance | str | Iterable[EdgeProvenance | str] | None,
) -> frozenset[int] | None:
    if edge_kinds is None and provenance is None:
        return None
    kinds = None if edge_kinds is None else frozenset(edge_kinds)
    if provenance is None:
        wanted = None
    elif isinstance(provenance, str):
        wanted = frozenset({EdgeProvenance(provenance)})
    else:
        wanted = frozenset(EdgeProvenance(p) for p in provenance)

    def keep(code: int) -> bool:
        if kinds is not None and ix.kinds[code >> 2] not in kinds:
            return False
        prov = BITS_PROV[code & 3]
        # An edge seen both ways is also a declared edge and also an observed one.
        return wanted is None or prov in wanted or (
            prov is EdgeProvenance.BOTH and bool(wanted - {EdgeProvenance.BOTH}))

    return frozenset(c for c in ix.codes_present if keep(c))


def _levels(adj: Adjacency, src: int, max_depth: int | None) -> tuple[Levels, bool]:
    """Distance levels from ``src`` (level 0 is ``{src}``) and whether the depth limit cut."""
    levels: Levels = [{src}]
    seen = {src}
    frontier = levels[0]
    while frontier:
        if max_depth is not None and len(levels) > max_depth:
            return levels, any(v not in seen for u in frontier for v in adj[u])
        # One C-level union per level: the per-edge work never runs as Python bytecode.
        nxt = set().union(*map(adj.__getitem__, frontier))
        nxt -= seen
        if not nxt:
            break
        seen |= nxt
        levels.append(nxt)
        frontier = nxt
    return levels, False


def _top(
    levels: Levels, members: frozenset[int] | None, limit: int,
) -> tuple[list[tuple[int, int]], int]:
    """Exact count of nodes beyond the source (only ``members`` when given) and the first
    ``limit`` as (distance, id): nearest first, then by id, which is the criticality rank."""
    top: list[tuple[int, int]] = []
    total = 0
    for d in range(1, len(levels)):
        pool = levels[d] if members is None else levels[d] & members
        total += len(pool)
        if pool and len(top) < limit:
            # Small-int sets iterate almost in order, so sorting is close to linear here.
            top.extend((d, v) for v in sorted(pool)[: limit - len(top)])
    return top, total


def _step(row: list[int], level: set[int]) -> int:
    """The most critical (smallest id) node of ``row`` that lies in ``level``."""
    if len(row) <= 4 * len(level):
        return next(u for u in row if u in level)
    members = set(row)
    return min(u for u in level if u in members)


def _path(adj: Adjacency, levels: Levels, v: int, d: int) -> list[int]:
    """One shortest path from ``v`` back to the source, stepping along ``adj``."""
    path = [v]
    for k in range(d - 1, -1, -1):
        v = _step(adj[v], levels[k])
        path.append(v)
    return path


def _impacted(ix: GraphIndex, fwd: Adjacency, up: Levels, v: int, d: int) -> ImpactedService:
    path = _path(fwd, up, v, d)
    bits = 3
    for a, b in pairwise(path):
        bits &= ix.edge_code(a, b)
    return ImpactedService(
        service=ix.names[v], distance=d, path=tuple(ix.names[u] for u in path),
        user_facing=bool(ix.user_facing[v]), tier=ix.tier[v], owner=ix.owner[v],
        via_provenance=_VIA[bits & 3],
    )


def _count_drift(view: View, up: Levels, down: Levels) -> int:
    """Observed-only edges walked: into expanded dependents' side, out of the suspects' side,
    minus those counted twice (both ends sit in a cycle through the failing service)."""
    ins, outs = view.observed_in, view.observed_out
    # map/len keep the per-node work in C: a hub's side holds tens of thousands of nodes.
    total = sum(sum(map(len, map(ins.__getitem__, lv & view.observed_in_keys))) for lv in up)
    total += sum(sum(map(len, map(outs.__getitem__, lv & view.observed_out_keys))) for lv in down)
    up_all: set[int] = set().union(*up)
    down_all: set[int] = set().union(*down)
    if len(down_all) <= len(up_all):
        return total - sum(b in up_all for a in down_all & view.observed_out_keys for b in outs[a])
    return total - sum(a in down_all for b in up_all & view.observed_in_keys for a in ins[b])


def _top_drift(ix: GraphIndex, view: View, up: Levels, down: Levels, limit: int) -> list[DriftEdge]:
    """The first ``limit`` observed-only edges walked, by hop then rank; levels are visited in
    order and the walk stops once the limit is met, so hubs cost no more than leaves."""
    found: dict[tuple[int, int], int] = {}  # (dependent, dependency) -> hop
    for d in range(max(len(up), len(down))):
        if len(found) >= limit:
            break
        for u in up[d] & view.observed_in_keys if d < len(up) else ():
            for v in view.observed_in[u]:
                found.setdefault((v, u), d + 1)
        for a in down[d] & view.observed_out_keys if d < len(down) else ():
            for b in view.observed_out[a]:
                found.setdefault((a, b), d + 1)
    ranked = sorted((hop, a, b) for (a, b), hop in found.items())[:limit]
    return [
        DriftEdge(dependent=ix.names[a], dependency=ix.names[b],
                  kind=ix.kinds[ix.edge_code(a, b) >> 2], hop=hop)
        for hop, a, b in ranked
    ]


def _diagram(
    ix: GraphIndex, fwd: Adjacency, service: str, impacted_paths: list[tuple[str, ...]],
    suspects: list[DependencyHit], up: Levels, down: Levels,
) -> str:
    def info(name: str) -> NodeInfo:
        i = ix.ids[name]
        return NodeInfo(user_facing=bool(ix.user_facing[i]), tier=ix.tier[i])

    def edges_among(names: Iterable[str]) -> list[tuple[str, str, bool]]:
        shown = {ix.ids[n] for n in names}
        return [
            (ix.names[a], ix.names[b], ix.edge_code(a, b) & 3 == 2)
            for a in shown for b in fwd[a] if b in shown
        ]

    return render_neighbourhood(
        service,
        impacted_paths=impacted_paths,
        suspect_paths=[hit.path for hit in suspects],
        impacted_per_distance=[len(level) for level in up],
        suspects_per_distance=[len(level) for level in down],
        info=info,
        edges_among=edges_among,
    )
