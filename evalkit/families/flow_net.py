"""The simulated estate of the request_flow family: services, call edges and their fixed draws.

Built once per world from a topology (:func:`build`). Everything drawn here is fixed for the world
and shared by every simulation run of it (with faults, without, without one fault), so that runs
differ only by the faults: structural draws come from the world's ``random.Random``, per-step
noise from numpy generators seeded by (world seed, service, purpose) (:func:`stream`).
"""

from __future__ import annotations

import math
import random
import zlib
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from evalkit.world import Graph

Vec = NDArray[np.float64]
Idx = NDArray[np.intp]

STEP_S = 15  # one simulated step
STEPS = 480  # two hours
MINUTE = 60 // STEP_S  # steps per minute

def stream(seed: int, *key: object) -> np.random.Generator:
    """A numpy generator for one (world, service, purpose): the same draws in every run of a world."""
    return np.random.default_rng([seed, zlib.crc32("|".join(map(str, key)).encode())])


@dataclass
class Node:
    name: str
    kind: str  # app | store | broker | loadgen
    base_err: float  # error ratio of its own code paths on a calm day
    base_lat: float  # own share of p95 latency, seconds
    cpu_headroom: float  # CPU capacity over the mean load it was sized for
    pool_headroom: float  # worker/connection pool over the mean requests in flight
    mem0: float  # resident memory as a share of the limit
    lat_sigma: float  # step-to-step noise of its latency estimate
    replicas: int
    consume_headroom: float = 2.0  # consumers: drain capacity over the mean inflow
    brokers: list[int] = field(default_factory=list)  # consumers: the brokers they read from


@dataclass(frozen=True)
class Out:
    """One caller's edges, as columns ready to broadcast over steps."""

    e: Idx
    dst: Idx
    calls: Vec
    share: Vec  # share of requests that call: min(calls, 1)
    tau: Vec
    passes: Vec  # 1 where the caller passes failures on, 0 where it falls back or retries
    retry_rows: Idx  # rows (within e) the caller retries
    retries: Vec  # of those rows
    sync: NDArray[np.bool_]


@dataclass
class Net:
    """Nodes, edges as parallel arrays sorted by caller, and the orders the passes run in."""

    nodes: list[Node]
    src: Idx  # per edge: caller
    dst: Idx  # per edge: callee
    calls: Vec  # per edge: calls to the callee per request of the caller
    is_retry: NDArray[np.bool_]  # per edge: the caller retries failed calls
    is_fallback: NDArray[np.bool_]  # per edge: the caller degrades gracefully instead of failing
    retries: Vec  # per edge: extra attempts on failure (0 unless handling == retry)
    timeout: Vec  # per edge: seconds the caller waits (inf on async edges)
    is_async: NDArray[np.bool_]  # per edge: publishes to a broker
    out_edges: list[Idx]  # per node: its edges as caller
    in_edges: list[Idx]  # per node: its edges as callee (consumer edges excluded)
    order: list[int]  # callers before callees, brokers before their consumers
    sources: dict[int, Vec]  # entry node -> requests per second arriving from outside, per step
    base_req: Vec  # per node: mean requests per second on a calm day
    base_lat_total: Vec  # per node: p95 latency on a calm day, own plus dependencies
    capacity: Vec  # per node: requests per second its CPUs serve (all instances up)
    pool_size: Vec  # per node: requests it can hold in flight
    noise: dict[str, NDArray[np.float64]]  # purpose -> (nodes x steps) standard normal draws
    pods: list[list[str]]  # per node: pod names
    outs: list[Out | None] = field(default_factory=list)  # per node: its edges as caller, None if none

    def __post_init__(self) -> None:
        self.outs = [self._out(e) if len(e) else None for e in self.out_edges]

    def _out(self, e: Idx) -> Out:
        rows = np.flatnonzero(self.is_retry[e])
        passes = (~self.is_retry[e] & ~self.is_fallback[e]).astype(np.float64)[:, None]
        calls = self.calls[e, None]
        return Out(e, self.dst[e], calls, np.minimum(calls, 1.0), self.timeout[e, None], passes, rows,
                   self.retries[e][rows][:, None], ~self.is_async[e, None])


def _order(n: int, succ: list[list[int]]) -> list[int]:
    """Callers-first order of a graph that may have cycles: a DFS post-order, reversed (the edges
    that close a cycle are the ones the passes treat as reaching an already finished node)."""
    seen = [False] * n
    post: list[int] = []
    for start in range(n):
        if seen[start]:
            continue
        stack: list[tuple[int, int]] = [(start, 0)]
        seen[start] = True
        while stack:
            v, i = stack[-1]
            if i < len(succ[v]):
                stack[-1] = (v, i + 1)
                w = succ[v][i]
                if not seen[w]:
                    seen[w] = True
                    stack.append((w, 0))
            else:
                stack.pop()
                post.append(v)
    return post[::-1]


def _node(g: Graph, name: str, rng: random.Random) -> Node:
    kind = "loadgen" if g.is_loadgen(name) else "broker" if g.kind(name) == "broker" else (
        "store" if g.is_store(name) else "app")
    if kind == "store":
        lat = math.exp(rng.uniform(math.log(0.002), math.log(0.02)))
    else:
        lat = math.exp(rng.uniform(math.log(0.01), math.log(0.12)))
    return Node(
        name=name, kind=kind,
        base_err=math.exp(rng.uniform(math.log(0.0003), math.log(0.006))),
        base_lat=lat,
        cpu_headroom=rng.uniform(1.8, 4.0),
        pool_headroom=rng.uniform(3.0, 10.0),
        mem0=rng.uniform(0.35, 0.7),
        lat_sigma=rng.uniform(0.05, 0.15),
        replicas=rng.choice((1, 2, 2, 3, 3, 4)),
        consume_headroom=rng.uniform(1.5, 3.0),
    )


def _edge_draws(caller: Node, callee: Node, is_async: bool, rng: random.Random, p_retry: float,
                p_fallback: float) -> tuple[float, str, int, float]:
    """Calls per request, error handling, retries and timeout multiple of one edge."""
    calls = rng.uniform(0.2, 1.0) if callee.kind != "store" else rng.uniform(0.5, 2.5)
    if is_async:
        return min(calls, 1.0), rng.choice(("propagate", "retry")), 2, math.inf
    u = rng.random()
    handling = "retry" if u < p_retry else "fallback" if u < p_retry + p_fallback else "propagate"
    retries = rng.choice((1, 2, 3)) if handling == "retry" else 0
    return calls, handling, retries, rng.uniform(3.0, 10.0)


NOISE_ROWS = ("err", "lat", "cpu", "pool", "mem", "src", "pod0", "pod1", "pod2", "pod3")


def _source_rate(seed: int, name: str, rng: random.Random, spikes_per_hour: float, z: Vec) -> Vec:
    """Requests per second from outside: a base rate, a smooth drift, short spikes, Poisson noise."""
    base = math.exp(rng.uniform(math.log(5.0), math.log(200.0)))
    t = np.arange(STEPS, dtype=np.float64)
    drift = 1.0 + rng.uniform(0.05, 0.25) * np.sin(2 * math.pi * t / (rng.uniform(3, 8) * 240) + rng.uniform(0, 6.3))
    gen = stream(seed, name, "spikes")
    shape = np.ones(STEPS)
    for _ in range(int(gen.poisson(spikes_per_hour * STEPS / (60 * MINUTE)))):
        at, dur = int(gen.integers(0, STEPS)), int(gen.integers(MINUTE, 6 * MINUTE))
        shape[at:at + dur] += gen.uniform(0.3, 1.0)
    rate = base * drift * shape
    return np.maximum(rate + np.sqrt(rate / STEP_S) * z, 0.0)


def _roles(g: Graph) -> tuple[dict[str, list[str]], set[tuple[str, str]]]:
    """Consumers (nothing calls them; they read from a broker) and their consumer edges."""
    consumers: dict[str, list[str]] = {}
    for n in g.names:
        real_callers = [c for c in g.callers[n] if not g.is_loadgen(c)]
        brokers = [d for d in g.callees[n] if g.kind(d) == "broker"]
        if not real_callers and brokers and not g.is_loadgen(n):
            consumers[n] = brokers
    return consumers, {(c, b) for c, bs in consumers.items() for b in bs}


def build(g: Graph, seed: int, rng: random.Random, p_retry: float, p_fallback: float,
          spikes_per_hour: float) -> Net:
    """The simulated estate of ``g``: every draw fixed for the world."""
    from evalkit.world import pod_suffix, replicaset_hash

    index = {n: i for i, n in enumerate(g.names)}
    nodes = [_node(g, n, rng) for n in g.names]
    consumers, consumer_edges = _roles(g)
    for c, bs in consumers.items():
        nodes[index[c]].brokers = [index[b] for b in bs]
    rows: list[tuple[int, int, float, str, int, float, bool]] = []
    for a in g.names:
        if g.is_loadgen(a):
            continue
        for b in g.callees[a]:
            if (a, b) in consumer_edges or g.is_loadgen(b):
                continue
            asy = g.is_async(a, b) or nodes[index[b]].kind == "broker"
            draws = _edge_draws(nodes[index[a]], nodes[index[b]], asy, rng, p_retry, p_fallback)
            rows.append((index[a], index[b], *draws, asy))
    n = len(nodes)
    succ: list[list[int]] = [[] for _ in range(n)]
    for a_i, b_i, *_ in rows:
        succ[a_i].append(b_i)
    for c, bs in consumers.items():
        for b in bs:
            succ[index[b]].append(index[c])  # a broker feeds its consumers
    order = _order(n, succ)
    # A call that closes a cycle is not simulated: requests cannot recurse for ever, and which of
    # a cycle's calls carries real load is not in the topology.
    pos = {v: k for k, v in enumerate(order)}
    rows = [r for r in rows if pos[r[0]] < pos[r[1]]]
    src = np.array([r[0] for r in rows], dtype=np.intp)
    dst = np.array([r[1] for r in rows], dtype=np.intp)
    calls = np.array([r[2] for r in rows], dtype=np.float64)
    noise = {k: np.empty((n, STEPS)) for k in NOISE_ROWS}
    for i, node in enumerate(nodes):
        block = stream(seed, node.name, "noise").standard_normal((len(NOISE_ROWS), STEPS))
        for k, row in zip(NOISE_ROWS, block, strict=True):
            noise[k][i] = row
    called = {b for _, b, *_ in rows}
    sources = {i: _source_rate(seed, nd.name, rng, spikes_per_hour, noise["src"][i])
               for i, nd in enumerate(nodes)
               if nd.kind != "loadgen" and not nd.brokers and (i not in called or nd.name in g.declared_entries)}
    base_req = np.zeros(n)
    in_edges = [np.flatnonzero(dst == i) for i in range(n)]
    for v in order:
        base_req[v] = float(sources[v].mean()) if v in sources else 0.0
        base_req[v] += float((calls[in_edges[v]] * base_req[src[in_edges[v]]]).sum())
        base_req[v] += sum(base_req[b] for b in nodes[v].brokers)
    out_edges = [np.flatnonzero(src == i) for i in range(n)]
    is_async = np.array([r[6] for r in rows], dtype=np.bool_)
    base_lat = np.zeros(n)
    for v in reversed(order):
        e = out_edges[v]
        sync = e[~is_async[e]]
        base_lat[v] = nodes[v].base_lat + float((calls[sync] * base_lat[dst[sync]]).sum())
    timeout = np.array([math.inf if r[6] else max(0.05, r[5] * base_lat[r[1]]) for r in rows], dtype=np.float64)
    # Sized for the mean load with headroom, and never below what one small instance serves.
    capacity = np.array([max(base_req[i] * nd.cpu_headroom, 5.0 * nd.replicas) for i, nd in enumerate(nodes)])
    pool_size = np.array([max(base_req[i] * base_lat[i] * nd.pool_headroom, 4.0 * nd.replicas)
                          for i, nd in enumerate(nodes)])
    pods = [[f"{nd.name}-{replicaset_hash(rng)}-{pod_suffix(rng)}" for _ in range(nd.replicas)] for nd in nodes]
    handling = np.array([r[3] for r in rows], dtype=object)
    return Net(nodes, src, dst, calls, handling == "retry", handling == "fallback",
               np.array([r[4] for r in rows], dtype=np.float64),
               timeout, is_async, out_edges, in_edges, order, sources, base_req, base_lat, capacity, pool_size,
               noise, pods)
