"""The joined view every tool starts from: merged catalog, name resolver and service graph.

Several catalogs (Backstage and a CMDB, say) may describe the same service under different
spellings; the first configured source that knows a service defines its canonical name, later
ones merge into it when a name or alias matches, and their own names become aliases. Building
the graph is the expensive step, so a World is rebuilt only when its inputs changed.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from opscontext.engine.graph import ServiceGraph
from opscontext.engine.identity import IDENTITY_ANNOTATIONS, NameIndex, ServiceResolver
from opscontext.gcpause import long_lived, without_gc
from opscontext.hub import Hub
from opscontext.memo import IdentityMemo
from opscontext.models import (
    Alert,
    CatalogSnapshot,
    Change,
    DependencyEdge,
    Person,
    Service,
    SourceStatus,
    Team,
)

T = TypeVar("T")
_MAX_PAIRED = 2_000  # resolved alerts read per call for a second name of their service


@dataclass
class World:
    catalog: CatalogSnapshot
    resolver: ServiceResolver
    graph: ServiceGraph
    statuses: list[SourceStatus] = field(default_factory=list)
    edges: tuple[DependencyEdge, ...] = ()
    # Sources hand back the same alert/change objects while unchanged; resolve each once, and
    # forget it when the source lets the object go (a weak memo: bounded by what is alive).
    _resolved: IdentityMemo[Any, Any] = field(default_factory=IdentityMemo, repr=False)
    # The resolved alerts whose service only a learnt release prefix gave, by id (weakly held, as
    # the memo's values are): what an answer reads to say whether it relied on one.
    _prefixed: weakref.WeakValueDictionary[int, Alert] = field(default_factory=weakref.WeakValueDictionary, repr=False)

    def _once(self, item: T, resolve: Callable[[T], T]) -> T:
        return self._resolved.get(item, resolve)  # type: ignore[no-any-return]

    def team(self, name: str | None) -> Team | None:
        canonical = self.resolver.team(name)
        return next((t for t in self.catalog.teams if t.name == canonical), None)

    def people(self) -> dict[str, Person]:
        return {p.name: p for p in self.catalog.people}

    @without_gc  # one model copy per alert renamed: a bulk step (see gcpause)
    def resolve_alerts(self, alerts: Iterable[Alert], labels: Sequence[str]) -> list[Alert]:
        """Alerts with ``service`` set to a catalog (or graph) name, or None when unknown.

        When some name nothing, their spellings are read for a release prefix shared by several
        services' workload names (:meth:`ServiceResolver.learn_prefixes`); once one is learnt,
        every alert is resolved again with it (and later calls use it from the start)."""
        missed: list[str] = []  # spellings of alerts seen for the first time that named nothing

        def resolve(a: Alert) -> Alert:
            name, prefixed = self.resolver.attribute(a.service, a.labels, labels)
            if name is None and a.service in self.graph:
                name = a.service
            if name is None:
                missed.extend(self.resolver.unresolved_spellings(a.service, a.labels, labels))
            if name == a.service:
                return a
            out = a.model_copy(update={"service": name})
            if prefixed:
                self._prefixed[id(out)] = out
            return out

        given = list(alerts)
        out = [self._once(a, resolve) for a in given]
        if missed and self.resolver.learn_prefixes(missed, self._pairs(given, out, labels)):
            self._resolved = IdentityMemo()  # what was remembered as unknown may be known now
            out = [self._once(a, resolve) for a in given]
        return out

    def prefixed(self, resolved: Iterable[Alert]) -> int:
        """How many of ``resolved`` (what :meth:`resolve_alerts` returned) name their service only
        through a learnt release prefix."""
        if not self._prefixed:
            return 0
        seen = self._prefixed
        return sum(1 for a in resolved if seen.get(id(a)) is a)

    def _pairs(self, given: list[Alert], out: list[Alert], labels: Sequence[str]) -> Iterator[tuple[str, str]]:
        """(spelling, service) from alerts that did resolve and name their service another way too
        (a pod of a release beside ``service_name``): read only when some alerts did not, and
        from the first ``_MAX_PAIRED`` that resolved (a cold call at 100k alerts must not pay
        for all of them)."""
        read = 0
        for a, r in zip(given, out, strict=True):
            if r.service is None:
                continue
            yield from self.resolver.paired_spellings(r.service, a.labels, labels)
            read += 1
            if read >= _MAX_PAIRED:
                return

    @without_gc
    def resolve_changes(self, changes: Iterable[Change]) -> list[Change]:
        def resolve(c: Change) -> Change:
            name = self.resolver.match_learned(c.service) or (c.service if c.service in self.graph else None)
            return c if name == c.service else c.model_copy(update={"service": name})

        return [self._once(c, resolve) for c in changes]


def _identities(s: Service) -> list[str]:
    """Spellings that identify a service across systems: its name, declared aliases and the
    identity annotations. Titles and separator-folded forms are deliberately not among them."""
    found = [s.name, *s.aliases, *(s.annotations[a] for a in IDENTITY_ANNOTATIONS if a in s.annotations)]
    return [x.strip().lower() for x in found if x and x.strip()]


def merge_catalogs(snapshots: Iterable[CatalogSnapshot]) -> CatalogSnapshot:
    """Union of several catalogs. Within one source names are identities and never merge; across
    sources a service merges into an earlier one only on an exact name, declared alias or
    identity annotation, because a wrong join pages the wrong team."""
    services: dict[str, Service] = {}
    seen: dict[str, str] = {}  # lower-case identity -> canonical name, from earlier sources
    teams: dict[str, Team] = {}
    team_index = NameIndex()
    people: dict[str, Person] = {}
    for snap in snapshots:
        added: dict[str, str] = {}
        for s in snap.services:
            target = next((seen[i] for i in _identities(s) if i in seen), None)
            if target is None:
                services[s.name] = s
                target = s.name
            else:
                services[target] = _merge_service(services[target], s)
            for ident in _identities(s):
                added.setdefault(ident, target)
        for ident, target in added.items():
            seen.setdefault(ident, target)
        for t in snap.teams:
            known = team_index.match(t.name) or team_index.match(t.title)
            if known is None:
                teams[t.name] = t
                team_index.add(t.name, [t.title or ""])
            else:
                old = teams[known]
                teams[known] = old.model_copy(
                    update={
                        "members": tuple(dict.fromkeys([*old.members, *t.members])),
                        **{
                            k: getattr(t, k)
                            for k in ("email", "chat_channel", "title", "parent")
                            if getattr(old, k) is None
                        },
                    }
                )
        for p in snap.people:
            people.setdefault(p.name, p)
    return CatalogSnapshot(
        services=tuple(services.values()), teams=tuple(teams.values()), people=tuple(people.values())
    )


def _merge_service(first: Service, later: Service) -> Service:
    update: dict[str, Any] = {
        k: getattr(later, k)
        for k in ("title", "type", "description", "owner", "system", "lifecycle", "tier")
        if getattr(first, k) is None and getattr(later, k) is not None
    }
    update["aliases"] = tuple(dict.fromkeys([*first.aliases, later.name, *later.aliases]))
    update["links"] = tuple(dict.fromkeys([*first.links, *later.links]))
    update["tags"] = tuple(dict.fromkeys([*first.tags, *later.tags]))
    update["annotations"] = {**later.annotations, **first.annotations}
    update["user_facing"] = first.user_facing or later.user_facing
    return first.model_copy(update=update)


class WorldBuilder:
    """Assembles a World from the hub, reusing the last one while its inputs are unchanged."""

    def __init__(self, hub: Hub):
        self.hub = hub
        self._last_inputs: tuple[int, ...] | None = None
        self._last: World | None = None
        self._lock = asyncio.Lock()  # one assembly at a time: a call during the preload joins it

    async def build(self) -> World:
        """The world for the catalogs and topology the hub serves now."""
        async with self._lock:
            return await self._build()

    def current(self) -> World | None:
        """The last world assembled, if any (it may be older than the sources now)."""
        return self._last

    async def _build(self) -> World:
        cat, top = await asyncio.gather(self.hub.catalog(), self.hub.edges())
        inputs = (*(id(v) for _, v in cat.results), -1, *(id(v) for _, v in top.results))
        statuses = cat.statuses + top.statuses
        if self._last is not None and inputs == self._last_inputs:
            self._last.statuses = statuses
            return self._last
        world = await asyncio.to_thread(long_lived(_assemble), [v for _, v in cat.results], top.items(), statuses)
        self._last_inputs, self._last = inputs, world
        return world


def _assemble(snapshots: list[CatalogSnapshot], edges: list[DependencyEdge], statuses: list[SourceStatus]) -> World:
    """The merged catalog, resolver and graph: bulk work, run off the event loop."""
    catalog = merge_catalogs(snapshots)
    resolver = ServiceResolver(catalog.services, catalog.teams)
    canonical = _canonical_names(resolver)
    resolved = tuple(_resolve_edge(e, canonical) for e in edges)
    graph = ServiceGraph.build(catalog.services, resolved)
    return World(catalog=catalog, resolver=resolver, graph=graph, statuses=statuses, edges=resolved)


def _canonical_names(resolver: ServiceResolver) -> Callable[[str], str]:
    """A name's catalog spelling (itself when unknown), remembered for one assembly: 250k edges
    name ~50k services 500k times, and each match was a normalised index look-up."""
    return functools.cache(lambda name: resolver.match(name) or name)


def _resolve_edge(e: DependencyEdge, canonical: Callable[[str], str]) -> DependencyEdge:
    a, b = canonical(e.dependent), canonical(e.dependency)
    return e if (a, b) == (e.dependent, e.dependency) else e.model_copy(update={"dependent": a, "dependency": b})
