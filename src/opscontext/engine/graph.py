"""The service dependency graph.

Edge ``a -> b`` means *a depends on b*: failures flow from b to a (b's dependents are impacted),
and when a misbehaves, b is a suspect. Node attributes carry what ranking needs (tier,
user-facing, kind, owner); edges carry kind and provenance (declared / observed / both).

Nodes are canonical service names (``Service.name``). Edges naming services the catalog does not
know still create nodes, so telemetry-only services are visible.

Two views of one immutable graph:

* ``g``: a networkx ``DiGraph`` for callers who want networkx algorithms. At 50k services it
  costs about a second to build, so it is materialised on first use, not at ``build``.
* ``index``: a compact integer index (:class:`GraphIndex`) that traversals use. Node ids are
  *ranks*: id order is "user-facing first, then most critical tier, then name", so the smallest
  ids of any set are its most important members and adjacency lists sorted by id make every
  choice (which shortest path, which top-k) deterministic without a key function.

The graph is built once and not mutated afterwards; build a new one when the catalog changes.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

import networkx as nx

from opscontext.models import DependencyEdge, EdgeProvenance, Service

# Provenance as bit flags, so merging two reports of one edge is a bitwise OR.
DECLARED_BIT = 1
OBSERVED_BIT = 2
PROV_BITS = {EdgeProvenance.DECLARED: 1, EdgeProvenance.OBSERVED: 2, EdgeProvenance.BOTH: 3}
BITS_PROV = {bits: prov for prov, bits in PROV_BITS.items()}
NO_TIER = 99  # services without a tier rank after every tiered one
_TIER_NUMBER = re.compile(r"(\d+)")
Adjacency = list[list[int]]


def tier_number(tier: str | int | None) -> int:
    """``"tier-1"``, ``"Tier 1"``, ``"1"`` and ``1`` all mean 1; anything else sorts last."""
    if isinstance(tier, int):
        return tier
    match = _TIER_NUMBER.search(tier) if tier else None
    return int(match.group(1)) if match else NO_TIER


class View:
    """The edges one filter keeps, in both directions, with the observed-only ones kept apart.

    Observed-only edges are a small minority; indexing them separately lets a query find the
    drift in its neighbourhood with set intersections instead of re-reading every edge walked.
    """

    def __init__(self, fwd: Adjacency, codes: Adjacency, allowed: frozenset[int] | None) -> None:
        n = len(fwd)
        canon = list(range(n))
        self.fwd: Adjacency = fwd if allowed is None else []
        self.rev: Adjacency = [[] for _ in range(n)]
        self.observed_in: dict[int, list[int]] = {}  # dependency -> its observed-only dependents
        self.observed_out: dict[int, list[int]] = {}  # dependent -> observed-only dependencies
        rev = self.rev
        for a in range(n):
            kept = []
            for b, code in zip(fwd[a], codes[a], strict=True):
                if allowed is not None and code not in allowed:
                    continue
                kept.append(b)
                rev[b].append(canon[a])  # a ascends, so reverse rows come out sorted
                if code & 3 == OBSERVED_BIT:
                    self.observed_out.setdefault(a, []).append(b)
                    self.observed_in.setdefault(b, []).append(canon[a])
            if allowed is not None:
                self.fwd.append(kept)
        self.observed_in_keys = frozenset(self.observed_in)
        self.observed_out_keys = frozenset(self.observed_out)


class GraphIndex:
    """Integer adjacency for both directions; an edge's code is ``kind_id << 2 | provenance bits``.

    Built from plain ints rather than pydantic objects so 250k edges index in about a second.
    Rows are sorted ascending, and every id is one shared int object per node, which saves
    memory and keeps the set operations of a traversal cache-friendly.
    """

    def __init__(
        self, names: list[str], attrs: list[dict[str, Any] | None], edges: dict[int, int],
        kinds: list[str],
    ) -> None:
        # names/attrs in first-seen order (attrs None: only seen on an edge); edges map packed
        # (first-seen dependent << 32 | first-seen dependency) to the edge code.
        self.first_seen = names
        self.kinds = kinds
        facts = [a or {} for a in attrs]
        order = sorted(range(len(names)), key=lambda i: (
            not facts[i].get("user_facing"), tier_number(facts[i].get("tier")), names[i]))
        self.names: list[str] = [names[i] for i in order]
        self.ids: dict[str, int] = {name: i for i, name in enumerate(self.names)}
        self.in_catalog = bytearray(attrs[i] is not None for i in order)
        ordered = [facts[i] for i in order]
        self.tier: list[str | None] = [a.get("tier") for a in ordered]
        self.tier_num: list[int] = [tier_number(t) for t in self.tier]
        self.user_facing = bytearray(bool(a.get("user_facing")) for a in ordered)
        self.owner: list[str | None] = [a.get("owner") for a in ordered]
        self.kind: list[str | None] = [a.get("kind") for a in ordered]
        self.type: list[str | None] = [a.get("type") for a in ordered]
        self.user_facing_ids = frozenset(i for i, uf in enumerate(self.user_facing) if uf)
        self.high_tier_ids = frozenset(i for i, t in enumerate(self.tier_num) if t <= 1)
        self.fwd, self.fwd_code = _rows(edges, order)
        self.codes_present = frozenset(c for row in self.fwd_code for c in row)
        self.edge_count = sum(map(len, self.fwd))
        self.base = View(self.fwd, self.fwd_code, None)
        self.rev = self.base.rev
        self._views: dict[frozenset[int], View] = {}
        self._members: dict[tuple[bool, str | int | None], frozenset[int]] = {}

    def view(self, allowed: frozenset[int] | None) -> View:
        """The adjacency keeping only edges whose code is in ``allowed`` (None: every edge).

        Filtered views are built once per distinct filter and kept (a handful at most in
        practice), so repeated filtered queries run as fast as unfiltered ones.
        """
        if allowed is None or self.codes_present <= allowed:
            return self.base
        key = allowed & self.codes_present
        cached = self._views.get(key)
        if cached is None:
            if len(self._views) >= 8:
                self._views.pop(next(iter(self._views)))
            cached = self._views[key] = View(self.fwd, self.fwd_code, key)
        return cached

    def members(self, only_user_facing: bool, tier: str | int | None) -> frozenset[int] | None:
        """Ids passing the reporting filters; None when nothing filters."""
        if not only_user_facing and tier is None:
            return None
        key = (only_user_facing, tier)
        cached = self._members.get(key)
        if cached is None:
            cached = frozenset(i for i in range(len(self.names))
                               if self._passes(i, only_user_facing, tier))
            if len(self._members) >= 16:
                self._members.pop(next(iter(self._members)))
            self._members[key] = cached
        return cached

    def _passes(self, i: int, only_user_facing: bool, tier: str | int | None) -> bool:
        if only_user_facing and not self.user_facing[i]:
            return False
        if tier is None:
            return True
        want = tier_number(tier)
        if want != NO_TIER:
            return self.tier_num[i] == want
        return (self.tier[i] or "").casefold() == str(tier).casefold()  # e.g. "gold"

    def edge_code(self, dependent: int, dependency: int) -> int:
        return self.fwd_code[dependent][bisect_left(self.fwd[dependent], dependency)]

    def to_networkx(self) -> nx.DiGraph:
        g: nx.DiGraph = nx.DiGraph()
        for name in self.first_seen:
            i = self.ids[name]
            if self.in_catalog[i]:
                g.add_node(name, tier=self.tier[i], user_facing=bool(self.user_facing[i]),
                           kind=self.kind[i], owner=self.owner[i], type=self.type[i])
            else:
                g.add_node(name)
        names = self.names
        g.add_edges_from(
            (names[a], names[b], {"kind": self.kinds[c >> 2], "provenance": BITS_PROV[c & 3]})
            for a in range(len(names))
            for b, c in zip(self.fwd[a], self.fwd_code[a], strict=True)
        )
        return g


def _rows(edges: dict[int, int], order: list[int]) -> tuple[Adjacency, Adjacency]:
    """Forward rows (targets, codes) in rank ids, each sorted by target."""
    n = len(order)
    rank = [0] * n
    for new, old in enumerate(order):
        rank[old] = new
    packed: Adjacency = [[] for _ in range(n)]
    low = (1 << 32) - 1
    for key, code in edges.items():
        packed[rank[key >> 32]].append(rank[key & low] << 16 | code)  # sorts by target
    canon = list(range(n))
    targets: Adjacency = []
    codes: Adjacency = []
    for row in packed:
        row.sort()
        targets.append([canon[p >> 16] for p in row])
        codes.append([p & 0xFFFF for p in row])
    return targets, codes


def _bits(provenance: object) -> int:
    try:
        return PROV_BITS[EdgeProvenance(str(provenance))]
    except ValueError:
        return DECLARED_BIT  # hand-built graphs may carry free text; treat it as a declaration


class _Builder:
    """Interns names and edge kinds to first-seen ints while records stream in."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self.attrs: list[dict[str, Any] | None] = []
        self.kind_ids: dict[str, int] = {}
        self.kinds: list[str] = []
        self.edges: dict[int, int] = {}  # dependent << 32 | dependency -> code

    def node(self, name: str, attrs: dict[str, Any] | None = None) -> int:
        i = self.ids.get(name)
        if i is None:
            i = self.ids[name] = len(self.names)
            self.names.append(name)
            self.attrs.append(None)
        if attrs is not None:
            self.attrs[i] = attrs  # a repeated catalog entry wins, as a re-added node would
        return i

    def edge(self, dependent: str, dependency: str, kind: str, bits: int) -> None:
        if dependent == dependency:
            return  # a self-loop explains nothing and would only confuse traversals
        key = self.node(dependent) << 32 | self.node(dependency)
        known = self.edges.get(key)
        if known is not None:
            self.edges[key] = known | bits  # the first report names the kind
            return
        kid = self.kind_ids.get(kind)
        if kid is None:
            kid = self.kind_ids[kind] = len(self.kinds)
            self.kinds.append(kind)
        self.edges[key] = kid << 2 | bits

    def index(self) -> GraphIndex:
        return GraphIndex(self.names, self.attrs, self.edges, self.kinds)


def _index_from_networkx(g: nx.DiGraph) -> GraphIndex:
    b = _Builder()
    for n, data in g.nodes(data=True):
        b.node(str(n), dict(data) if data else None)
    for u, v, d in g.edges(data=True):
        b.edge(str(u), str(v), str(d.get("kind", "depends_on")),
               _bits(d.get("provenance", "declared")))
    return b.index()


class ServiceGraph:
    def __init__(self, g: nx.DiGraph | None = None, *, index: GraphIndex | None = None) -> None:
        if g is None and index is None:
            g = nx.DiGraph()
        self._g = g
        self._index = index

    @classmethod
    def build(cls, services: Iterable[Service], edges: Iterable[DependencyEdge]) -> ServiceGraph:
        b = _Builder()
        for s in services:
            b.node(s.name, {"tier": s.tier, "user_facing": s.user_facing, "kind": s.kind,
                            "owner": s.owner, "type": s.type})
        add, bits = b.edge, PROV_BITS
        for e in edges:
            add(e.dependent, e.dependency, e.kind, bits[e.provenance])
        return cls(index=b.index())

    def with_edges(self, extra: Iterable[tuple[str, str]], kind: str = "calls",
                   provenance: EdgeProvenance = EdgeProvenance.OBSERVED) -> ServiceGraph:
        """A new graph holding this one's services and edges plus ``extra`` (dependent,
        dependency) pairs; a pair already present keeps its kind and gains ``provenance``."""
        ix = self.index
        b = _Builder()
        for i, name in enumerate(ix.names):
            attrs = ({"tier": ix.tier[i], "user_facing": bool(ix.user_facing[i]), "kind": ix.kind[i],
                      "owner": ix.owner[i], "type": ix.type[i]} if ix.in_catalog[i] else None)
            b.node(name, attrs)
        b.kinds = list(ix.kinds)
        b.kind_ids = {k: n for n, k in enumerate(b.kinds)}
        for i, (row, codes) in enumerate(zip(ix.fwd, ix.fwd_code, strict=True)):
            for j, code in zip(row, codes, strict=True):
                b.edges[i << 32 | j] = code  # builder ids follow ix.names: node i is ix.names[i]
        bits = PROV_BITS[provenance]
        for dependent, dependency in extra:
            b.edge(dependent, dependency, kind, bits)
        return ServiceGraph(index=b.index())

    @property
    def g(self) -> nx.DiGraph:
        """The networkx view, built on first use (the graph is immutable once built)."""
        if self._g is None:
            assert self._index is not None
            self._g = self._index.to_networkx()
        return self._g

    @property
    def index(self) -> GraphIndex:
        """The compact integer index every traversal runs on, built once."""
        if self._index is None:
            assert self._g is not None
            self._index = _index_from_networkx(self._g)
        return self._index

    def __contains__(self, name: object) -> bool:
        return name in self.index.ids

    def __len__(self) -> int:
        return len(self.index.names)

    @property
    def edge_count(self) -> int:
        return self.index.edge_count

    def dependencies(self, name: str) -> list[str]:
        """Direct dependencies of ``name`` (what it calls / needs), most critical first."""
        ix = self.index
        i = ix.ids.get(name)
        return [] if i is None else [ix.names[j] for j in ix.fwd[i]]

    def dependents(self, name: str) -> list[str]:
        """Direct dependents of ``name`` (who calls / needs it), most critical first."""
        ix = self.index
        i = ix.ids.get(name)
        return [] if i is None else [ix.names[j] for j in ix.rev[i]]

    def hubs(self, count: int) -> list[str]:
        """The ``count`` services with the most direct dependents (ties by rank)."""
        ix = self.index
        top = sorted(range(len(ix.names)), key=lambda i: (-len(ix.rev[i]), i))[:count]
        return [ix.names[i] for i in top]
