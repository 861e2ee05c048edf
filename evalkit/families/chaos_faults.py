"""Fault types of chaos_bench and how a fault spreads from its root to the root's dependents.

A fault is what Chaos Mesh / LitmusChaos inject in the public RCA benchmarks (RCAEval RE1-RE3,
Nezha, Eadro on Sock Shop, Online Boutique, Train-Ticket): stress (cpu, memory), network (delay,
loss), pod (kill, failure), http/code (abort, exception) and io (disk stress on a datastore).
Each kind gives the root its own *signals* (what its own rules could measure) and an *outward*
effect (what its callers experience when they call it); see the module docstring of
:mod:`evalkit.families.chaos_bench` for the numbers and why.

Propagation runs from a dependency to its dependents in time order (earliest arrival first, each
service reached once, so cycles end), per edge:

* ``timeout`` (most sync callers): latency shows as latency; a callee slow enough trips the
  caller's client deadline, so the caller also shows timeouts and errors;
* ``retry``: errors and latency pass through amplified (x1.2) and retries add latency;
* ``graceful``: a fallback, cache or circuit breaker swallows it; the caller shows nothing and
  the fault stops there on that path;
* async edges (a broker or consumer between them): the dependent shows consumer lag only, minutes
  later, and the fault goes no further along it.

Only the share of the caller's traffic that calls the callee is bad (0.1 + 0.9 u^2 per edge: most
callers send only part of their requests down any one dependency, mean 0.4), and a slow callee
makes only some of those requests miss the caller's own, larger latency objective (x0.5-1), so a
fault thins out with every hop and stops being measurable below 1 % of requests (the lowest rule
threshold) or after 8 hops.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field

from evalkit.families.chaos_rules import (
    ERRORS,
    LAG,
    LATENCY,
    MEMORY,
    OOM,
    RESTARTS,
    SATURATION,
    TIMEOUTS,
    UNAVAILABLE,
    Signal,
    units,
)
from evalkit.world import Graph

MIN = 60.0

# Fault kind -> (silent propensity, lead propensity); both in [0.5, 1.5], mean ~1 over a mix.
# Silent: network faults act outside the root's process and datastores are often unwatched.
# Lead: code-level errors show on the root's own error rule at once; network and memory faults
# show first on callers (delay outside the process; a leak ramps for minutes before any OOM).
POSTURE: dict[str, tuple[float, float]] = {
    "cpu-hog": (0.6, 1.2),
    "memory-leak": (0.6, 0.8),
    "network-delay": (1.5, 0.6),
    "network-loss": (1.5, 0.6),
    "pod-kill": (1.0, 0.9),
    "pod-failure": (0.7, 1.0),
    "http-abort": (0.5, 1.3),
    "code-exception": (0.5, 1.3),
    "disk-io": (1.3, 1.0),
}
CODE_FAULTS = frozenset({"http-abort", "code-exception"})
# The alert a root with no rule seeing its fault would most plausibly still raise, when the cell
# says the root is not silent (a rule every kube-prometheus estate has, or its error rule).
SIGNATURE: dict[str, str] = {
    "cpu-hog": SATURATION, "memory-leak": OOM, "network-delay": UNAVAILABLE, "network-loss": UNAVAILABLE,
    "pod-kill": UNAVAILABLE, "pod-failure": UNAVAILABLE, "http-abort": ERRORS, "code-exception": ERRORS,
    "disk-io": LATENCY,
}


@dataclass
class Fault:
    kind: str
    root: str
    onset: float  # seconds from EPOCH
    end: float
    root_signals: list[Signal]
    outward: list[Signal]  # what a caller of the root experiences (x: share of its calls bad)


def make_fault(kind: str, root: str, onset: float, n_pods: int, has_callees: bool, rng: random.Random) -> Fault:
    """The root's own signals and its outward effect for one experiment."""
    one = rng.random() < 0.5  # Chaos Mesh mode "one" (a single pod) or "all"
    pods = (0,) if one and n_pods > 1 else None
    share = 1 / n_pods if pods else 1.0
    t = onset
    own: list[Signal] = []
    out: list[Signal] = []
    if kind == "cpu-hog":
        d = rng.uniform(5, 15) * MIN
        rise = rng.uniform(20, 90)
        x = rng.uniform(0.3, 0.9)
        own += [Signal(SATURATION, t, t + d, 1.0, pods),
                Signal(LATENCY, t + rise, t + d + rng.uniform(10, 60), x, pods)]
        out.append(Signal(LATENCY, t + rise, t + d + 30, x * share))
    elif kind == "memory-leak":
        d = rng.uniform(10, 20) * MIN
        ramp = min(rng.uniform(3, 10) * MIN, 0.6 * d)
        x = rng.uniform(0.15, 0.5)  # restarts every minute or two, errors while each one lasts
        own += [Signal(MEMORY, t + 0.7 * ramp, t + d, 1.0, pods), Signal(OOM, t + ramp, t + d + 10 * MIN, 1.0, pods),
                Signal(RESTARTS, t + ramp + MIN, t + d, 1.0, pods), Signal(ERRORS, t + ramp, t + d, x, pods),
                Signal(LATENCY, t + 0.5 * ramp, t + d, rng.uniform(0.05, 0.2), pods)]
        out += [Signal(ERRORS, t + ramp, t + d, x * share), Signal(LATENCY, t + 0.5 * ramp, t + d, 0.1 * share)]
    elif kind == "network-delay":
        d = rng.uniform(5, 10) * MIN
        delay_ms = rng.choice((100, 200, 500, 1000, 2000))
        if has_callees:  # its own outbound calls are delayed too, so its served latency rises a little
            own.append(Signal(LATENCY, t + 10, t + d, rng.uniform(0.1, 0.6), pods))
        if delay_ms >= 1000 and rng.random() < 0.6:  # kubelet probes time out (timeoutSeconds: 1)
            own.append(Signal(UNAVAILABLE, t + 30, t + d, 1.0, pods))
        out.append(Signal(LATENCY, t + 5, t + d, share * (1.0 if delay_ms >= 200 else 0.5)))
    elif kind == "network-loss":
        d = rng.uniform(5, 10) * MIN
        loss = rng.uniform(0.1, 0.5)
        if has_callees:
            own.append(Signal(LATENCY, t + 10, t + d, loss * 0.8, pods))
        if rng.random() < 0.4:
            own.append(Signal(UNAVAILABLE, t + MIN, t + d, 1.0, pods))
        out += [Signal(LATENCY, t + 5, t + d, min(1.0, 2 * loss) * share),
                Signal(ERRORS, t + 5, t + d, loss * 0.5 * share)]
    elif kind == "pod-kill":
        down = rng.uniform(15, 75)  # until the replacement pod is ready
        d = down
        own.append(Signal(UNAVAILABLE, t, t + down, 1.0, pods))
        out.append(Signal(ERRORS, t + 2, t + down + rng.uniform(0, 20), share * rng.uniform(0.8, 1.0)))
    elif kind == "pod-failure":
        d = rng.uniform(2, 6) * MIN
        own.append(Signal(UNAVAILABLE, t, t + d, 1.0, pods))
        out.append(Signal(ERRORS, t + 2, t + d + rng.uniform(5, 30), share * rng.uniform(0.8, 1.0)))
    elif kind == "http-abort":
        d = rng.uniform(5, 15) * MIN
        x = rng.uniform(0.1, 1.0)
        own.append(Signal(ERRORS, t, t + d, x))
        out.append(Signal(ERRORS, t + 1, t + d, x))
    elif kind == "code-exception":
        d = rng.uniform(8, 25) * MIN  # until someone rolls it back
        x = rng.uniform(0.05, 0.6)
        own.append(Signal(ERRORS, t + rng.uniform(0, 30), t + d, x))
        if rng.random() < 0.3:
            own.append(Signal(RESTARTS, t + MIN, t + d, 1.0))
        out.append(Signal(ERRORS, t + 5, t + d, x))
    elif kind == "disk-io":
        d = rng.uniform(5, 12) * MIN
        x = rng.uniform(0.3, 0.9)
        own.append(Signal(LATENCY, t + rng.uniform(10, 60), t + d, x))
        out.append(Signal(LATENCY, t + 30, t + d + 20, x))
    else:
        raise ValueError(kind)
    return Fault(kind, root, onset, onset + d, own, out)


@dataclass
class Reached:
    service: str
    arrival: float
    depth: int
    signals: list[Signal] = field(default_factory=list)


class Edges:
    """Per world and edge: how the caller copes when the callee misbehaves, which share of the
    caller's requests use the callee, and how much of a slowdown its own latency headroom absorbs
    (drawn once per edge, keyed by the edge, so every incident and attempt sees the same estate)."""

    def __init__(self, g: Graph, seed: int) -> None:
        self.g, self.seed = g, seed
        self._known: dict[tuple[str, str], tuple[str, float, float]] = {}
        self._callers: dict[str, list[str]] = {}

    def callers(self, svc: str) -> list[str]:
        known = self._callers.get(svc)
        if known is None:
            known = self._callers[svc] = sorted(c for c in self.g.callers[svc] if not self.g.is_loadgen(c))
        return known

    def __call__(self, caller: str, callee: str) -> tuple[str, float, float]:
        known = self._known.get((caller, callee))
        if known is None:
            u, v, w = units(3, self.seed, "edge", caller, callee)
            kind = "timeout" if u < 0.5 else "retry" if u < 0.75 else "graceful"
            if self.g.is_async(caller, callee):
                kind = "async"
            share = 0.1 + 0.9 * v**2  # of its requests that call callee
            budget = 0.5 + 0.5 * w  # its own latency headroom absorbs some
            known = self._known[(caller, callee)] = (kind, share, budget)
        return known


def propagate(fault: Fault, g: Graph, edges: Edges, rng: random.Random) -> dict[str, Reached]:
    """Every dependent the fault reaches (not the root), earliest path first."""
    reached: dict[str, Reached] = {}
    outward: dict[str, list[Signal]] = {fault.root: fault.outward}
    heap: list[tuple[float, int, str]] = [(fault.onset, 0, fault.root)]
    depth = {fault.root: 0}
    seen = {fault.root}
    while heap:
        _, _, svc = heapq.heappop(heap)
        if depth[svc] >= 8:
            continue
        for caller in edges.callers(svc):
            if caller in seen:
                continue
            kind, share, budget = edges(caller, svc)
            if kind == "graceful":
                continue
            hop = rng.uniform(5, 40)
            got: list[Signal] = []
            for s in outward[svc]:
                x = s.x * share * (1.2 if kind == "retry" else 1.0) * (budget if s.kind == LATENCY else 1.0)
                if x < 0.01:
                    continue
                start, end = s.start + hop, s.end + hop + rng.uniform(0, 30)
                if kind == "async":
                    got.append(Signal(LAG, start + rng.uniform(60, 240), end + 120, min(1.0, x)))
                    continue
                got.append(Signal(s.kind, start, end, min(1.0, x)))
                if kind == "retry":
                    got.append(Signal(LATENCY, start, end, min(1.0, 0.5 * x)))
                elif s.kind == LATENCY and s.x >= 0.3:  # deadlines trip
                    got += [Signal(TIMEOUTS, start, end, min(1.0, x)), Signal(ERRORS, start, end, min(1.0, 0.7 * x))]
            if not got:
                continue
            seen.add(caller)
            arrival = min(s.start for s in got)
            reached[caller] = Reached(caller, arrival, depth[svc] + 1, got)
            if kind != "async":
                outward[caller] = _merge([s for s in got if s.kind in (LATENCY, ERRORS)])
                depth[caller] = depth[svc] + 1
                heapq.heappush(heap, (arrival, len(seen), caller))
    return reached


def _merge(signals: list[Signal]) -> list[Signal]:
    """One pulse per kind: the strongest (what callers of this service then see)."""
    best: dict[str, Signal] = {}
    for s in signals:
        if s.kind not in best or s.x > best[s.kind].x:
            best[s.kind] = s
    return list(best.values())
