"""How well one alert of a bridge (a caller with several explanations) fits each incident.

Four signals, strongest first:

* **peer**: a client-side label (a client span, ``peer_service``, a mesh's destination, an
  Envoy upstream cluster: :data:`~.peers.CALL_LABELS`) that names a service of the incident
  says where the failing calls went: the alert is that incident's.
* **words**: route-like labels (``route``, ``endpoint``, ``handler``, ``path``...) usually name
  the backend a request went to (``/api/v1/orders`` fails with the orders database, ``/checkout``
  with payments), so their words are looked up among the incident's service names and the
  routes already placed there. Words of the alert name count for less.
* **time**: the alert should start shortly after the explanation it goes through; starting
  before it is penalised twice as fast (a dependency can lag its caller only by rule delays).
* **distance**: a direct dependency explains better than one two hops down.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache

from opscontext.engine.correlation.dedup import UniqueAlert
from opscontext.engine.correlation.grouping import Episode, UnionFind
from opscontext.engine.correlation.named_changes import NameIndex
from opscontext.engine.correlation.peers import called

ROUTE_KEYS = frozenset({
    "route", "endpoint", "handler", "path", "uri", "url", "http_route", "operation", "rpc",
    "grpc_method", "grpc_service", "method_name", "span_name",
})
# Words that only structure a route say nothing about which backend it reached.
_ROUTE_STOP = frozenset({"api", "www", "http", "https", "com", "id", "internal", "prod"})
# Alert names share words that describe the kind of alert, not the place.
_NAME_STOP = frozenset({
    "high", "low", "rate", "error", "latency", "too", "many", "request", "alert", "slow", "saturation",
    "service", "traffic", "absent", "down", "failure", "failing", "budget", "burn", "fast",
})
_NAME_SUFFIXES = ("service", "svc", "server", "api")
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# A named peer outweighs every other signal together: it is what the alert says, not a guess.
W_PEER, W_ROUTE, W_NAME, W_TIME, W_HOPS = 3.0, 1.0, 0.5, 1.0, 0.25
_MAX_BAG_ALERTS = 200


@lru_cache(maxsize=8192)
def words(text: str) -> frozenset[str]:
    out = set()
    for w in _WORD.findall(text):
        w = w.lower()
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]  # orders ~ order-service
        if len(w) >= 2 and not w.isdigit() and w not in _ROUTE_STOP:
            out.add(w)
            for suffix in _NAME_SUFFIXES:  # "checkoutservice" is still about checkout
                if w.endswith(suffix) and len(w) > len(suffix) + 1:
                    out.add(w[: -len(suffix)])
    return frozenset(out)


def route_words(u: UniqueAlert) -> frozenset[str]:
    labels = u.alert.labels
    found = [words(v) for k, v in labels.items() if k.lower() in ROUTE_KEYS and v]
    return frozenset().union(*found) if found else frozenset()


@dataclass(frozen=True, slots=True)
class Candidate:
    root: int  # union-find root of the component
    onset: float  # when the explanation this candidate comes through started (epoch s)
    hops: int


class Bags:
    """Words per component (service names and routes of its alerts) and its services, built when
    first asked; and what each bridge alert's call labels name (``spelling`` reads them)."""

    def __init__(
        self, unique: list[UniqueAlert], eps: list[Episode], uf: UnionFind, skip: Collection[int],
        spelling: Callable[[], NameIndex] | None = None,
    ) -> None:
        self._unique = unique
        self._eps = eps
        self._uf = uf
        self._skip = skip
        self._spelling = spelling
        self._by_root: dict[int, list[int]] | None = None
        self._bags: dict[int, set[str]] = {}
        self._services: dict[int, set[str]] = {}
        self._called: dict[int, frozenset[str]] = {}

    def called(self, u: UniqueAlert) -> frozenset[str]:
        """The services ``u`` names as the target of its failing calls (none without spelling)."""
        if self._spelling is None:
            return frozenset()
        key = id(u)
        found = self._called.get(key)
        if found is None:
            found = self._called[key] = called(u, self._spelling)
        return found

    def services(self, root: int) -> set[str]:
        """The services whose episodes make up component ``root``."""
        found = self._services.get(root)
        if found is None:
            found = self._services[root] = {self._eps[e].service for e in self._members(root)}
        return found

    def _members(self, root: int) -> list[int]:
        if self._by_root is None:
            self._by_root = {}
            for e_id in range(len(self._eps)):
                if e_id not in self._skip:
                    self._by_root.setdefault(self._uf.find(e_id), []).append(e_id)
        return self._by_root.get(root, [])

    def get(self, root: int) -> set[str]:
        bag = self._bags.get(root)
        if bag is None:
            bag = self._bags[root] = self._build(root)
        return bag

    def add(self, root: int, u: UniqueAlert) -> None:
        self.get(root).update(route_words(u))


    def _build(self, root: int) -> set[str]:
        bag: set[str] = set()
        seen = 0
        for e_id in self._members(root):
            e = self._eps[e_id]
            bag |= words(e.service)
            for i in e.members:
                if seen < _MAX_BAG_ALERTS:
                    bag |= route_words(self._unique[i])
                    seen += 1
        return bag


def strands(
    unique: list[UniqueAlert], members: list[int], gap: float,
    named: Callable[[UniqueAlert], frozenset[str]] | None = None,
) -> list[list[int]]:
    """A bridge's alerts cut into strands placed as one: same named peer (``named``) and route
    words (or, with neither, same alert name) and no pause longer than ``gap``. A service
    failing on two routes, or towards two peers, for two incidents gives two strands; one
    failing alone keeps its alerts together, so its later alerts are not pulled towards
    whichever incident happened to start just before them."""
    open_: dict[object, list[int]] = {}
    out: list[list[int]] = []
    for i in members:  # onset order
        u = unique[i]
        peers = named(u) if named is not None else frozenset()
        key: object = (peers, route_words(u)) if peers else (route_words(u) or u.alert.alertname)
        cur = open_.get(key)
        if cur is None or u.ts - unique[cur[-1]].ts > gap:
            cur = open_[key] = []
            out.append(cur)
        cur.append(i)
    return out


def time_fit(delta: float) -> float:
    """1 when the alert starts with its explanation, falling slowly with minutes after (faults
    take minutes to climb), five times faster before it (only rule delays allow that)."""
    return 1.0 / (1.0 + max(delta, 0.0) / 300.0 + max(-delta, 0.0) / 60.0)


def score(
    strand: list[UniqueAlert], c: Candidate, bag: set[str], peers: frozenset[str] = frozenset(),
    services: Collection[str] = (),
) -> float:
    """How well ``strand`` fits candidate ``c``: ``peers`` are the services its alerts name as
    the target of their calls, ``services`` the candidate's."""
    first = strand[0]
    peer = W_PEER if any(p in services for p in peers) else 0.0
    route = W_ROUTE if any(route_words(u) & bag for u in strand) else 0.0
    name = W_NAME if any((words(u.alert.alertname) - _NAME_STOP) & bag for u in strand) else 0.0
    return peer + route + name + W_TIME * time_fit(first.ts - c.onset) + W_HOPS / max(c.hops, 1)


def best(strand: list[UniqueAlert], cands: list[Candidate], bags: Bags) -> int:
    """The root of the best-fitting candidate (ties: earlier explanation, then lower root)."""
    peers = frozenset().union(*map(bags.called, strand))

    def fit(c: Candidate) -> tuple[float, float, int]:
        services = bags.services(c.root) if peers else ()
        return score(strand, c, bags.get(c.root), peers, services), -c.onset, -c.root

    return max(cands, key=fit).root
