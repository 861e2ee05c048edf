"""One simulation run of a request_flow world: requests flow down the call graph, health flows up.

A run takes the estate (:class:`~evalkit.families.flow_net.Net`) and a set of faults and returns,
per service and 15 s step, what its instrumentation would export (:class:`Run`). Two passes, twice:

1. **Traffic**, callers first: a service receives its outside traffic (entry points) plus, per
   incoming edge, the caller's forwarded requests x calls per request x (1 + retries the caller
   sent because this callee failed). A service whose instances are down forwards nothing. A
   consumer receives what it drains from its brokers' backlog (its drain capacity shrinks when
   it or the broker is unwell; the backlog is the lag).
2. **Health**, callees first: CPU utilisation = load / capacity (queueing inflates own latency as
   it nears 1, overload rejects the excess); own latency x a fault's factor x GC pressure near
   the memory limit; per synchronous callee the caller sees failures = callee errors + calls that
   outlast the caller's timeout, and turns them into its own errors (propagate), retries them
   (failures left after r attempts are f^(r+1); the r extra attempts go back to pass 1 as callee
   load) or falls back (the error is hidden; the wait until the timeout is not); callee latency,
   capped at the timeout, adds to the caller's. Requests in flight (load x latency, Little's law)
   over the worker pool are rejected. A service that is down answers every call with an error.

The second round uses the retry load of the first (a fixed point in two steps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evalkit.families.flow_net import MINUTE, STEP_S, STEPS, Net, Vec

KINDS = ("errors", "latency", "crash", "leak", "cpu", "store_slow", "backlog")


@dataclass(frozen=True)
class Fault:
    node: int
    kind: str  # one of KINDS
    onset: int  # step it starts
    end: int  # step it is mitigated (STEPS: still on at the end)
    size: float  # magnitude: error ratio added, latency factor, share of instances down or capacity lost
    ramp: int = 1  # steps to full effect


@dataclass
class Mods:
    """What the faults on one service do to it, per step."""

    err_add: Vec
    lat_mult: Vec
    up: Vec
    cpu_mult: Vec
    mem_add: Vec
    deliver: Vec


def _mods(net: Net, faults: list[Fault]) -> dict[int, Mods]:
    out: dict[int, Mods] = {}
    t = np.arange(STEPS, dtype=np.float64)
    for f in faults:
        m = out.setdefault(f.node, Mods(*(np.zeros(STEPS) if k in (0, 4) else np.ones(STEPS) for k in range(6))))
        on = (t >= f.onset) & (t < f.end)
        w = np.where(on, np.clip((t - f.onset + 1) / max(f.ramp, 1), 0.0, 1.0), 0.0)
        if f.kind == "errors":
            m.err_add += f.size * w
        elif f.kind in ("latency", "store_slow"):
            m.lat_mult *= 1 + (f.size - 1) * w
        elif f.kind == "crash":
            m.up *= 1 - f.size * on
        elif f.kind == "leak":
            m.mem_add += w * (1.02 - net.nodes[f.node].mem0)
        elif f.kind == "cpu":
            m.cpu_mult *= 1 - f.size * w
        elif f.kind == "backlog":
            m.deliver *= 1 - f.size * w
            m.lat_mult *= 1 + 2 * f.size * w
    return out


@dataclass
class _Dirty:
    traffic: NDArray[np.bool_]  # its requests may differ from the calm run's
    health: NDArray[np.bool_]  # its errors/latency may differ
    forwards: NDArray[np.bool_]  # a fault changes what it forwards (instances down) or drains


Flags = _Dirty | None


@dataclass
class Run:
    req: Vec  # (nodes x steps) requests per second received
    err: Vec  # error ratio the service answers with
    lat: Vec  # p95 latency, seconds
    up: Vec  # share of instances up
    util: Vec  # CPU utilisation
    pool: Vec  # requests in flight over the pool
    mem: Vec  # memory over the limit
    lag: Vec  # consumers: seconds of backlog
    extra: Vec  # (edges x steps) retries per call the first round's health pass found
    first: tuple[Vec, ...] = ()  # a calm run: its state after the first round (fields in order)
    touched: NDArray[np.bool_] | None = None  # a run given the calm one: services whose series may differ

    _FIELDS = ("req", "err", "lat", "up", "util", "pool", "mem", "lag")

    def state(self) -> tuple[Vec, ...]:
        return tuple(getattr(self, k).copy() for k in self._FIELDS)


def _drain(net: Net, v: int, run: Run, mods: dict[int, Mods]) -> Vec:
    """A consumer's intake per step; records its lag."""
    node = net.nodes[v]
    inflow = sum((run.req[b] for b in node.brokers), np.zeros(STEPS))
    cap = np.full(STEPS, max(net.base_req[v] * node.consume_headroom, 1.0))
    cap = cap * run.up[v]
    for b in node.brokers:
        cap = cap * run.up[b] * (mods[b].deliver if b in mods else 1.0)
    if v in mods:
        cap = cap / mods[v].lat_mult
    if not (inflow > cap).any():
        return inflow
    backlog = np.zeros(STEPS)
    level = 0.0
    for t in range(STEPS):
        level = max(0.0, level + (float(inflow[t]) - float(cap[t])) * STEP_S)
        backlog[t] = level
    run.lag[v] = backlog / max(net.base_req[v], 1e-3)
    drained = inflow + np.concatenate(([0.0], backlog[:-1])) / STEP_S - backlog / STEP_S
    return np.maximum(drained, 0.0)


def _traffic(net: Net, run: Run, extra: Vec, mods: dict[int, Mods], dirty: Flags) -> None:
    """Pass 1 over the services ``dirty`` marks (all when None), updating the marks as it goes."""
    for v in net.order:
        e = net.in_edges[v]
        callers = net.src[e]
        if dirty is not None:
            brokers = net.nodes[v].brokers
            if not (dirty.traffic[v] or dirty.traffic[callers].any() or dirty.forwards[callers].any()
                    or (dirty.health[v] and net.is_retry[e].any())
                    or (brokers and (v in mods or dirty.traffic[brokers].any() or dirty.forwards[brokers].any()))):
                continue
            dirty.traffic[v] = True
        r = net.sources[v].copy() if v in net.sources else np.zeros(STEPS)
        if len(e):
            r += (net.calls[e, None] * run.req[callers] * run.up[callers] * (1 + extra[e])).sum(axis=0)
        if net.nodes[v].brokers:
            run.lag[v] = 0.0
            r += _drain(net, v, run, mods)
        run.req[v] = r


def _callees(net: Net, v: int, run: Run, extra: Vec) -> tuple[Vec, Vec]:
    """Share of v's requests its dependencies leave intact, and the latency they add; records the
    retries v sends each callee in ``extra``."""
    o = net.outs[v]
    if o is None:
        return np.ones(STEPS), np.zeros(STEPS)
    lc, ec = run.lat[o.dst], run.err[o.dst]
    x = lc / o.tau
    x *= x
    f = ec + (1 - ec) * np.minimum(0.05 * x * x, 1.0)
    resid = f * o.passes
    waited = np.minimum(lc, o.tau)
    if len(o.retry_rows):
        fr, r = f[o.retry_rows], o.retries
        resid[o.retry_rows] = fr ** (r + 1)
        # Retries of a callee failing under 2 % add no load worth modelling (and keep calm runs to one round).
        extra[o.e[o.retry_rows]] = np.where(fr > 0.02, fr * (r >= 1) + fr**2 * (r >= 2) + fr**3 * (r >= 3), 0.0)
        waited[o.retry_rows] *= 1 + r * fr
    keep = np.prod(1 - o.share * resid, axis=0)
    waited = np.where(o.sync, waited, 0.1 * lc)
    return keep, (o.calls * waited).sum(axis=0)


def _health(net: Net, run: Run, extra: Vec, mods: dict[int, Mods], dirty: Flags) -> None:
    """Pass 2 over the services ``dirty`` marks (all when None), updating the marks as it goes."""
    z_mem = net.noise["mem"]
    for v in reversed(net.order):
        if dirty is not None:
            if not (dirty.health[v] or dirty.traffic[v] or v in mods or dirty.health[net.dst[net.out_edges[v]]].any()):
                continue
            dirty.health[v] = True
        node, m = net.nodes[v], mods.get(v)
        up = run.up[v]
        cap = net.capacity[v] * np.maximum(up, 1e-6)
        if m is not None:
            cap = cap * np.maximum(m.cpu_mult, 1e-3)
        util = run.req[v] / cap
        queue = (1 - 1 / node.cpu_headroom) / (1 - np.minimum(util, 0.97))
        mem = node.mem0 * (1 + 0.02 * z_mem[v]) + (m.mem_add if m is not None else 0.0)
        gc = 1 + 8 * np.clip((mem - 0.8) / 0.2, 0.0, 1.0)
        lat_own = node.base_lat * queue * gc * (m.lat_mult if m is not None else 1.0)
        keep, lat_dep = _callees(net, v, run, extra)
        lat = lat_own + lat_dep
        pool_cap = net.pool_size[v] * np.maximum(up, 1e-6)
        pool = run.req[v] * lat / pool_cap
        own = (node.base_err + np.clip(1 - 1 / np.maximum(util, 1e-9), 0.0, 1.0)
               + np.clip(1 - 1 / np.maximum(pool, 1e-9), 0.0, 1.0) + 0.2 * (mem >= 1.0))
        if m is not None:
            own = own + m.err_add
        err = 1 - (1 - np.clip(own, 0.0, 1.0)) * keep
        down = up <= 0
        run.err[v] = np.where(down, 1.0, err)
        run.lat[v] = np.where(down, 0.0, lat)
        run.util[v], run.pool[v], run.mem[v] = util, pool, np.minimum(mem, 1.0)


def simulate(net: Net, faults: list[Fault], calm: Run | None = None) -> Run:
    """One run of the world with ``faults`` on: two rounds of both passes, the second with the
    retries the first found. Given the world's ``calm`` run (no faults), only the services a fault
    can have reached are recomputed; the others keep the calm run's series of each round exactly
    (same inputs, same noise), so a full recomputation would give the same run."""
    n = len(net.nodes)
    mods = _mods(net, faults)
    extra = np.zeros((len(net.src), STEPS))
    dirty: Flags = None
    if calm is None:
        run = _blank(n, extra)
    else:
        run = _blank(n, extra)
        for k, x in zip(Run._FIELDS, calm.first, strict=True):
            getattr(run, k)[:] = x
        dirty = _Dirty(np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_))
        dirty.forwards[list(mods)] = True
    for v, m in mods.items():
        run.up[v] = m.up
    _traffic(net, run, extra, mods, dirty)
    _health(net, run, extra, mods, dirty)
    if calm is None:
        run.first, run.extra = run.state(), extra.copy()
        if not extra.any():
            return run  # a second round would repeat the first exactly
    else:
        assert dirty is not None
        _calm_rows(run, calm, dirty, net)
        extra = run.extra = np.where(dirty.health[net.src][:, None], extra, calm.extra)
    _traffic(net, run, extra, mods, dirty)
    _health(net, run, extra, mods, dirty)
    if dirty is not None:
        run.touched = dirty.traffic | dirty.health | dirty.forwards
    return run


def _blank(n: int, extra: Vec) -> Run:
    z = [np.zeros((n, STEPS)) for _ in range(8)]
    z[3][:] = 1.0  # instances up
    return Run(z[0], z[1], z[2], z[3], z[4], z[5], z[6], z[7], extra=extra)


def _calm_rows(run: Run, calm: Run, dirty: _Dirty, net: Net) -> None:
    """Between rounds: services the faults have not reached take the calm run's final rows."""
    quiet_t, quiet_h = ~dirty.traffic, ~dirty.health
    run.req[quiet_t] = calm.req[quiet_t]
    run.lag[quiet_t] = calm.lag[quiet_t]
    for k in ("err", "lat", "util", "pool", "mem"):
        getattr(run, k)[quiet_h] = getattr(calm, k)[quiet_h]


def moved(a: Run, b: Run, since: int) -> dict[int, tuple[int, frozenset[str]]]:
    """Services whose noise-free series differ between two runs from step ``since`` on beyond what
    noise would hide: when they first do, and in which signals."""
    sl = slice(since, STEPS)
    checks = {
        "errors": np.abs(a.err[:, sl] - b.err[:, sl]) > 0.01,
        "latency": np.abs(np.log(np.maximum(a.lat[:, sl], 1e-6) / np.maximum(b.lat[:, sl], 1e-6))) > np.log(1.25),
        "down": a.up[:, sl] < b.up[:, sl],
        "saturation": (np.abs(a.util[:, sl] - b.util[:, sl]) > 0.15) | (np.abs(a.pool[:, sl] - b.pool[:, sl]) > 0.15),
        "memory": np.abs(a.mem[:, sl] - b.mem[:, sl]) > 0.1,
        "lag": np.abs(a.lag[:, sl] - b.lag[:, sl]) > 30,
        "traffic": np.abs(a.req[:, sl] - b.req[:, sl]) > 0.25 * np.maximum(b.req[:, sl], 1e-3),
    }
    first = {k: np.where(x.any(axis=1), x.argmax(axis=1), -1) for k, x in checks.items()}
    out: dict[int, tuple[int, frozenset[str]]] = {}
    for v in np.flatnonzero(np.any([f >= 0 for f in first.values()], axis=0)):
        hit = {k: int(f[v]) for k, f in first.items() if f[v] >= 0}
        out[int(v)] = (since + min(hit.values()), frozenset(hit))
    return out


__all__ = ["KINDS", "MINUTE", "Fault", "Run", "moved", "simulate"]
