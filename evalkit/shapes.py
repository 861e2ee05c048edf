"""Synthetic topology shapes, 30-1,000 services, deterministic per seed.

* ``flat``: wide and shallow; a few entry points call most services directly (1-2 tiers + stores).
* ``deep``: call chains 6-10 services deep from an entry point down to a datastore, chains
  occasionally crossing.
* ``hub``: a layered estate where nearly everything depends on shared infrastructure (auth,
  feature flags, config store, service mesh, kafka): in-degrees in the hundreds at n ~ 500-1,000.
* ``mesh``: services call a handful of random peers, many cross edges and some cycles.
* ``layered``: web -> bff -> domain -> core -> stores, each layer calling only the next ones.

Datastores have ``type="database"`` as :func:`evalkit.classic.topologies.load` marks them.
Edges point from the caller (dependent) to the callee (dependency).
"""

from __future__ import annotations

import itertools
import random

from evalkit.classic.topologies import Topology
from opscontext.models import DependencyEdge, Service

KINDS = ("flat", "deep", "hub", "mesh", "layered")
HUBS = ("auth", "feature-flags", "config-store", "service-mesh", "kafka")
_DOMAINS = ("orders", "billing", "catalog", "search", "users", "inventory", "shipping", "payments", "pricing",
            "reviews", "media", "notify", "loyalty", "fraud", "ledger", "geo", "promo", "support")
_STORES = ("pg", "mysql", "redis", "mongo", "cassandra", "es")


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.services: list[Service] = []
        self.edges: set[tuple[str, str]] = set()
        self._n = 0

    def add(self, role: str, database: bool = False, name: str | None = None) -> str:
        self._n += 1
        if name is None:
            if database:
                name = f"{self.rng.choice(_STORES)}-{self.rng.choice(_DOMAINS)}-{self._n}-db"
            else:
                name = f"{role}-{self.rng.choice(_DOMAINS)}-{self._n}"
        self.services.append(Service(name=name, type="database" if database else "service"))
        return name

    def edge(self, a: str, b: str) -> None:
        if a != b:
            self.edges.add((a, b))

    def topology(self, kind: str, n: int, seed: int) -> Topology:
        edges = tuple(DependencyEdge(dependent=a, dependency=b) for a, b in sorted(self.edges))
        return Topology(f"shape-{kind}-{n}-s{seed}", tuple(self.services), edges, f"evalkit.shapes {kind}")


def shape(kind: str, n: int, seed: int) -> Topology:
    if kind not in KINDS:
        raise ValueError(f"unknown shape {kind!r}; one of {', '.join(KINDS)}")
    if not 10 <= n <= 5000:
        raise ValueError("n must be between 10 and 5000")
    rng = random.Random(f"{kind}:{n}:{seed}")
    b = _Builder(rng)
    {"flat": _flat, "deep": _deep, "hub": _hub, "mesh": _mesh, "layered": _layered}[kind](b, n)
    return b.topology(kind, n, seed)


def _flat(b: _Builder, n: int) -> None:
    rng = b.rng
    n_entry = max(2, n // 15)
    n_store = max(2, n // 6)
    entries = [b.add("gateway" if i % 2 else "web") for i in range(n_entry)]
    stores = [b.add("", database=True) for _ in range(n_store)]
    for _ in range(n - n_entry - n_store):
        s = b.add("svc")
        for e in rng.sample(entries, rng.randint(1, min(3, len(entries)))):
            b.edge(e, s)
        if rng.random() < 0.6:
            b.edge(s, rng.choice(stores))
    for st in stores:  # every store is used by someone
        if not any(d == st for _, d in b.edges):
            b.edge(rng.choice([s.name for s in b.services if not s.type == "database" and s.name not in entries]
                              or entries), st)


def _deep(b: _Builder, n: int) -> None:
    rng = b.rng
    entries = [b.add("web") for _ in range(max(1, n // 40))]
    made = len(entries)
    chains: list[list[str]] = []
    while made < n:
        depth = rng.randint(6, 10)
        room = n - made
        if room < 3:
            break
        length = min(depth, room - 1)
        chain = [rng.choice(entries)] + [b.add("svc") for _ in range(length - 1)]
        store = b.add("", database=True)
        made += length
        chain.append(store)
        for a, c in itertools.pairwise(chain):
            b.edge(a, c)
        chains.append(chain)
    # Chains occasionally cross: a mid-chain service calls into a later chain (so no cycles).
    for k, chain in enumerate(chains[:-1]):
        if rng.random() < 0.3 and len(chain) > 2:
            other = rng.choice(chains[k + 1:])
            i = rng.randrange(1, len(chain) - 1)
            j = rng.randrange(max(1, len(other) // 2), len(other))
            b.edge(chain[i], other[j])
    while len(b.services) < n:
        b.edge(rng.choice(entries), b.add("svc"))


def _hub(b: _Builder, n: int) -> None:
    rng = b.rng
    hubs = [b.add("", name=h) for h in HUBS]
    _layered(b, n - len(hubs), hubs=hubs)
    p = {"auth": 0.85, "feature-flags": 0.75, "config-store": 0.65, "service-mesh": 0.6, "kafka": 0.35}
    for s in list(b.services):
        if s.name in HUBS or s.type == "database":
            continue
        for h in HUBS:
            if rng.random() < p[h]:
                b.edge(s.name, h)
    b.edge("auth", "config-store")
    b.edge("feature-flags", "config-store")


def _layered(b: _Builder, n: int, hubs: list[str] | None = None) -> None:
    rng = b.rng
    shares = (("web", 0.05), ("bff", 0.1), ("domain", 0.35), ("core", 0.3))
    layers: list[list[str]] = []
    for role, share in shares:
        layers.append([b.add(role) for _ in range(max(1, round(n * share)))])
    base = len(b.services) - (len(hubs) if hubs else 0)
    stores = [b.add("", database=True) for _ in range(max(1, n - base))]
    layers.append(stores)
    for i, layer in enumerate(layers[:-1]):
        below = layers[i + 1]
        further = [s for lay in layers[i + 2:] for s in lay]
        for s in layer:
            for t in rng.sample(below, min(len(below), rng.randint(1, 4))):
                b.edge(s, t)
            if further and rng.random() < 0.3:
                b.edge(s, rng.choice(further))
    for i, layer in enumerate(layers[1:], start=1):  # everything below the web tier has a caller
        above = layers[i - 1]
        for s in layer:
            if not any(d == s for _, d in b.edges):
                b.edge(rng.choice(above), s)


def _mesh(b: _Builder, n: int) -> None:
    rng = b.rng
    n_store = max(2, n // 8)
    svcs = [b.add("web")] + [b.add("svc") for _ in range(n - n_store - 1)]
    stores = [b.add("", database=True) for _ in range(n_store)]
    for s in svcs:
        for t in rng.sample(svcs, min(len(svcs), rng.randint(2, 6))):
            b.edge(s, t)  # any peer: cross edges and cycles
        if rng.random() < 0.5:
            b.edge(s, rng.choice(stores))
    for st in stores:
        b.edge(rng.choice(svcs), st)
