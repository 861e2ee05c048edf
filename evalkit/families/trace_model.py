"""The request model of the ``span_traces`` family: endpoints and their call trees.

Each entry point serves a few endpoints; each endpoint has one call tree through the topology,
drawn once per world. A tree node is a service handling one operation; an edge of the tree is a
call (a CLIENT or PRODUCER span on the caller) with how many times it is made, whether in
parallel, and how the caller handles the callee's failures. Datastores and brokers emit no spans
of their own (Valkey, Postgres and Kafka do not): they are seen only through their callers' client
spans. A call to a broker is a PRODUCER span; the broker's consumers handle the message later in
a tree of their own (:class:`Consumer`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from evalkit.world import Graph

_VERBS = ("Get", "List", "Add", "Update", "Check", "Place", "Convert", "Send", "Search", "Charge")
_ROUTES = ("/", "/api/cart", "/api/products", "/api/checkout", "/api/recommendations", "/api/data", "/login",
           "/api/search", "/api/orders", "/api/users", "/api/shipping", "/health/ready")
_STORE_OPS = ("HGET", "HSET", "SELECT", "INSERT", "UPDATE", "find", "GET", "SET")
MAX_SPANS = 24  # spans per tree: real traces of these demos have 5-40
MAX_DEPTH = 6
MAX_ENDPOINTS = 30  # per world (generation speed); more entry points than 10 are sampled


@dataclass(frozen=True)
class Handling:
    """How a caller handles one callee's failures (drawn once per edge, shared by all trees)."""

    mode: str  # propagate | retry | swallow
    retries: int  # extra attempts when mode == "retry"
    timeout_ms: float | None  # client timeout; None: waits as long as it takes


@dataclass
class Node:
    """One service handling one operation inside a tree."""

    service: str
    op: str  # the span name of its SERVER (or CONSUMER) span
    spans: bool  # False for datastores and brokers: no spans of their own
    own_ms: float  # time spent in the service itself, calm
    base_err: float  # natural error probability of the operation
    calls: list[Call] = field(default_factory=list)


@dataclass
class Call:
    """A call from a node to a child node: a CLIENT (or PRODUCER) span on the caller."""

    child: Node
    times: int
    parallel: bool
    handling: Handling
    producer: bool = False  # an async publish to a broker


@dataclass
class Consumer:
    """A service consuming what a broker receives: its own CONSUMER-rooted tree."""

    broker: str
    tree: Node
    headroom: float  # capacity / calm message rate


@dataclass
class Endpoint:
    entry: str
    route: str
    tree: Node
    rate: float  # calm requests per minute
    drift: float  # amplitude of the daily shape
    phase: float  # where in the day the window sits (radians)

    def rate_at(self, minute: int) -> float:
        """Requests per minute: the slow daily shape (24 h period) over the calm rate."""
        return self.rate * (1.0 + self.drift * math.sin(self.phase + 2 * math.pi * minute / 1440))


@dataclass
class Estate:
    endpoints: list[Endpoint]
    consumers: dict[str, list[Consumer]]  # broker -> consumers
    ops: dict[str, list[str]]  # service -> the operations some tree calls
    touched: list[str]  # services some tree reaches, in first-reached order


def _pascal(name: str) -> str:
    return "".join(p.capitalize() for p in name.replace("_", "-").split("-") if p)


def _ops(g: Graph, name: str, rng: random.Random) -> list[str]:
    if g.is_store(name):
        return rng.sample(_STORE_OPS, 2)
    if g.kind(name) == "broker":
        return [f"{rng.choice(('orders', 'events', 'payments', 'notifications'))} publish"]
    verbs = rng.sample(_VERBS, rng.randint(1, 4))
    noun = _pascal(name.split("-")[0]) or "Item"
    return [f"oteldemo.{_pascal(name)}Service/{v}{noun}" for v in verbs]


class _Builder:
    def __init__(self, g: Graph, rng: random.Random, handling_weights: tuple[float, float, float],
                 retries: tuple[int, int]) -> None:
        self.g, self.rng = g, rng
        self.weights, self.retries = handling_weights, retries
        self.ops: dict[str, list[str]] = {}
        self.own: dict[str, float] = {}
        self.err: dict[tuple[str, str], float] = {}
        self.handling: dict[tuple[str, str], Handling] = {}
        self.touched: dict[str, None] = {}
        self.used: dict[str, list[str]] = {}  # operations some tree calls

    def spans(self, name: str) -> bool:
        return not (self.g.is_store(name) or self.g.kind(name) == "broker")

    def node(self, name: str, op: str | None = None) -> Node:
        rng = self.rng
        if name not in self.ops:
            self.ops[name] = _ops(self.g, name, rng)
            # log-uniform: 2-40 ms of own work for services, 0.3-5 ms per datastore command
            lo, hi = (0.3, 5.0) if not self.spans(name) else (2.0, 40.0)
            self.own[name] = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        op = op or rng.choice(self.ops[name])
        if op not in self.ops[name]:
            self.ops[name].append(op)
        used = self.used.setdefault(name, [])
        if op not in used:
            used.append(op)
        if (name, op) not in self.err:
            self.err[(name, op)] = math.exp(rng.uniform(math.log(1e-4), math.log(3e-3)))
        self.touched.setdefault(name, None)
        return Node(name, op, self.spans(name), self.own[name], self.err[(name, op)])

    def edge(self, caller: str, callee: str) -> Handling:
        key = (caller, callee)
        if key not in self.handling:
            rng = self.rng
            mode = rng.choices(("propagate", "retry", "swallow"), self.weights)[0]
            timeout = rng.choice((1000.0, 2000.0, 5000.0)) if rng.random() < 0.6 else None
            self.handling[key] = Handling(mode, rng.randint(*self.retries) if mode == "retry" else 0, timeout)
        return self.handling[key]

    def grow(self, node: Node, path: set[str], budget: list[int], depth: int) -> None:
        """Add calls to ``node``: each dependency is called with probability 0.45 (different
        endpoints touch different subsets), at least one when it has any and is near the top."""
        callees = [c for c in self.g.callees[node.service] if c not in path and not self.g.is_loadgen(c)]
        if not node.spans or depth >= MAX_DEPTH or not callees:
            return
        rng = self.rng
        chosen = [c for c in callees if rng.random() < 0.45]
        if not chosen and depth < 2:
            chosen = [rng.choice(callees)]
        for c in chosen:
            if budget[0] <= 0:
                return
            budget[0] -= 1
            times = 1 if rng.random() < 0.8 else rng.randint(2, 4)
            child = self.node(c)
            producer = self.g.is_async(node.service, c) and self.g.kind(c) == "broker"
            node.calls.append(Call(child, times, rng.random() < 0.25, self.edge(node.service, c), producer))
            self.grow(child, path | {c}, budget, depth + 1)


def build(g: Graph, rng: random.Random, rate_range: tuple[float, float],
          handling_weights: tuple[float, float, float], retries: tuple[int, int]) -> Estate:
    """Draw the endpoints, their trees, rates and the brokers' consumers of one world."""
    b = _Builder(g, rng, handling_weights, retries)
    entries = [e for e in g.entries if not g.is_loadgen(e)] or [n for n in g.names if g.callees[n]][:1]
    if len(entries) > 10:
        entries = sorted(rng.sample(entries, 10))
    endpoints: list[Endpoint] = []
    for entry in entries:
        routes = rng.sample(_ROUTES, rng.randint(2, 5))
        for route in routes:
            if len(endpoints) >= MAX_ENDPOINTS:
                break
            op = f"{rng.choice(('GET', 'GET', 'POST'))} {route}"
            root = b.node(entry, op)
            b.grow(root, {entry}, [MAX_SPANS], 0)
            rate = math.exp(rng.uniform(math.log(rate_range[0]), math.log(rate_range[1])))
            endpoints.append(Endpoint(entry, route, root, rate, rng.uniform(0.1, 0.3), rng.uniform(0, 2 * math.pi)))
    consumers: dict[str, list[Consumer]] = {}
    for broker in [n for n in b.touched if g.kind(n) == "broker"]:
        for c in g.callers[broker]:
            # a consumer is a service reading the broker that nothing calls synchronously
            if g.is_async(c, broker) and not g.callers[c] and not g.is_loadgen(c):
                tree = b.node(c, f"{broker} process")
                b.grow(tree, {c, broker}, [MAX_SPANS // 2], 1)
                consumers.setdefault(broker, []).append(Consumer(broker, tree, rng.uniform(1.5, 4.0)))
    return Estate(endpoints, consumers, b.used, list(b.touched))
