"""Span metrics of the ``span_traces`` family, per minute, as the spanmetrics connector counts them.

Faults act on the operations of a service; each minute every tree is evaluated bottom-up (what
fraction of requests at a node fail, how long they take, which fraction is slowed and by how
much) and then top-down (how many requests reach each node), adding expected counts to the span
series they belong to: the SERVER series of ``(service, span name)`` and the CLIENT (or PRODUCER)
series of ``(caller, callee)``. Only then is noise drawn, once per series and minute from a
stream of its own (:class:`Noise`), so a run with a fault removed sees the very same noise: the
counterfactual that ground truth needs. Counts are Poisson given their expectation (inverse CDF
of the series' uniform draw, so more expected errors never give fewer observed ones).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from evalkit.families.trace_model import Call, Estate, Node

_ND = NormalDist()
MINUTES = 90  # the simulated window; the world's "now" is its end
SLOW_P95 = 0.05  # a slowed share above 5 % moves the p95 fully to the slowed duration


@dataclass(frozen=True)
class Fault:
    """Something going wrong on one service from ``onset`` (minute) until ``end`` (or the end)."""

    service: str
    kind: str  # error | latency | unreachable | exhaustion
    onset: int
    end: int | None = None
    ops: frozenset[str] | None = None  # None: every operation
    frac: float = 1.0  # share of requests affected
    extra_ms: float = 0.0
    refused: bool = True  # unreachable: connection refused (fast) rather than connect timeouts
    ramp: int = 1  # exhaustion: minutes until saturated

    def active(self, minute: int) -> bool:
        return self.onset <= minute and (self.end is None or minute < self.end)


@dataclass
class Out:
    """What callers see of a node in one minute."""

    fail: float
    ms: float
    slow: float
    extra: float
    down: bool


class Noise:
    """Per series, per minute: uniforms for call counts, error counts and the latency jitter.

    One per estate: its caches assume the same endpoints and trees."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._draws: dict[str, list[tuple[float, float, float]]] = {}
        # caches shared by the runs of one world (same estate): outcomes per fault state, and
        # observations per expectation (a run expecting the same counts observes the same)
        self.units: dict[tuple[tuple[Fault, float], ...], tuple[list[Unit], list[dict[str, float]],
                                                                list[Unit], list[float]]] = {}
        self.seen: dict[str, tuple[list[list[float] | None], list[tuple[int, int, float]]]] = {}

    def of(self, key: str) -> list[tuple[float, float, float]]:
        got = self._draws.get(key)
        if got is None:
            r = random.Random(f"{self.seed}|{key}")
            got = [(r.random(), r.random(), r.gauss(0.0, 1.0)) for _ in range(MINUTES)]
            self._draws[key] = got
        return got


def poisson_at(lam: float, u: float) -> int:
    """The u-quantile of Poisson(lam): monotone in lam for a fixed u."""
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(lam + math.sqrt(lam) * _ND.inv_cdf(min(max(u, 1e-9), 1 - 1e-9))))
    p = math.exp(-lam)
    k, cdf = 0, p
    while cdf < u and k < 200:
        k += 1
        p *= lam / k
        cdf += p
    return k


def _effect(node: Node, faults: Sequence[Fault], minute: int) -> tuple[float, float, float, bool, bool]:
    """(error share, slowed share, extra ms, down, refused) the faults put on a node this minute."""
    err = slow = extra = 0.0
    down, refused = False, True
    for f in faults:
        if f.service != node.service or not f.active(minute) or (f.ops is not None and node.op not in f.ops):
            continue
        if f.kind == "error":
            err = 1 - (1 - err) * (1 - f.frac)
        elif f.kind == "latency":
            slow, extra = max(slow, f.frac), max(extra, f.extra_ms)
        elif f.kind == "unreachable":
            down, refused = True, f.refused
        else:  # exhaustion: everything slows as it fills up; past 60 % of the ramp requests fail
            r = min(1.0, (minute - f.onset + 1) / max(1, f.ramp))
            slow, extra = 1.0, max(extra, f.extra_ms * r)
            err = 1 - (1 - err) * (1 - f.frac * max(0.0, (r - 0.6) / 0.4))
    return err, slow, extra, down, refused


class Minute:
    """One minute of one run: outcomes bottom-up, then expected counts top-down into ``acc``."""

    def __init__(self, faults: Sequence[Fault], minute: int) -> None:
        self.faults, self.minute = faults, minute
        self.memo: dict[int, Out] = {}
        # series key -> [calls, errors, calls x calm p95, slowed calls, slowed calls x extra ms]
        self.acc: dict[str, list[float]] = {}
        self.arrivals: dict[str, float] = {}

    def out(self, node: Node) -> Out:
        got = self.memo.get(id(node))
        if got is not None:
            return got
        err, slow, extra, down, refused = _effect(node, self.faults, self.minute)
        if down:
            got = Out(1.0, 1.0 if refused else -1.0, 0.0, 0.0, True)
        else:
            ok = (1 - node.base_err) * (1 - err)
            ms, par = node.own_ms, 0.0
            for c in node.calls:
                ce, cms, cslow, cextra, _ = self.client(c)
                if c.handling.mode != "swallow":
                    ok *= (1 - ce) ** c.times
                if c.parallel:
                    par = max(par, cms)
                else:
                    ms += cms * c.times
                if cslow > 0:
                    slow = 1 - (1 - slow) * (1 - cslow)
                    extra = max(extra, cextra * (1 if c.parallel else c.times))
            got = Out(1 - ok, ms + par, slow, extra, False)
        self.memo[id(node)] = got
        return got

    def client(self, c: Call) -> tuple[float, float, float, float, float]:
        """(error share per attempt, ms, slowed share, extra ms, attempts per call) of a call."""
        o = self.out(c.child)
        limit = c.handling.timeout_ms
        if o.down:
            ms = 1.0 if o.ms > 0 else (limit or 10_000.0)  # refused, or the connect timeout
            err, slow, extra = 1.0, 0.0, 0.0
        else:
            ms, err, slow, extra = o.ms, o.fail, o.slow, o.extra
            if limit is not None and ms > limit:  # every call outlasts the client's patience
                err, ms, slow, extra = 1.0, limit, 0.0, 0.0
            elif limit is not None and slow > 0 and ms + extra > limit:
                err, extra = 1 - (1 - err) * (1 - slow), max(0.0, limit - ms)  # DEADLINE_EXCEEDED
        attempts = 1 + c.handling.retries * err if c.handling.mode == "retry" else 1.0
        return err, ms, slow, extra, attempts

    def add(self, key: str, n: float, errors: float, p95: float, slow: float, extra: float) -> None:
        a = self.acc.get(key)
        if a is None:
            a = self.acc[key] = [0.0, 0.0, 0.0, 0.0, 0.0]
        a[0] += n
        a[1] += errors
        a[2] += n * p95
        a[3] += n * slow
        a[4] += n * slow * extra

    def visit(self, node: Node, n: float) -> None:
        o = self.out(node)
        if o.down or n <= 0:
            return
        if node.spans:
            self.add(f"S|{node.service}|{node.op}", n, n * o.fail, 2.0 * o.ms, o.slow, o.extra)
        for c in node.calls:
            err, ms, slow, extra, attempts = self.client(c)
            sent = n * c.times * attempts
            kind = "P" if c.producer else "C"
            self.add(f"{kind}|{node.service}|{c.child.service}", sent, sent * err, 2.0 * ms, slow, extra)
            if c.producer and err < 1:
                self.arrivals[c.child.service] = self.arrivals.get(c.child.service, 0.0) + n * c.times * (1 - err)
            self.visit(c.child, sent)


Series = dict[str, list[tuple[int, int, float]]]  # key -> per minute (calls, errors, p95 ms)
Unit = dict[str, list[float]]  # series key -> expected counts for one request (or message)


def signature(faults: Sequence[Fault], minute: int) -> tuple[tuple[Fault, float], ...]:
    """What the faults do this minute: the outcomes of every tree depend on nothing else."""
    return tuple((f, min(1.0, (minute - f.onset + 1) / max(1, f.ramp)) if f.kind == "exhaustion" else 1.0)
                 for f in faults if f.active(minute))


def _units(estate: Estate, faults: Sequence[Fault], minute: int) -> tuple[list[Unit], list[dict[str, float]],
                                                                         list[Unit], list[float]]:
    """Per endpoint and per consumer: expected counts per request under this minute's faults."""
    mn = Minute(faults, minute)
    eps: list[Unit] = []
    arrivals: list[dict[str, float]] = []
    for ep in estate.endpoints:
        mn.acc, mn.arrivals = {}, {}
        mn.visit(ep.tree, 1.0)
        eps.append(mn.acc)
        arrivals.append(mn.arrivals)
    cons: list[Unit] = []
    took: list[float] = []
    for consumers in estate.consumers.values():
        for con in consumers:
            mn.acc = {}
            mn.visit(con.tree, 1.0)
            cons.append(mn.acc)
            o = mn.out(con.tree)
            took.append(o.ms + o.slow * o.extra)
    return eps, arrivals, cons, took


def _scaled(into: dict[str, list[float]], unit: Unit, n: float) -> None:
    for key, v in unit.items():
        a = into.get(key)
        if a is None:
            into[key] = [v[0] * n, v[1] * n, v[2] * n, v[3] * n, v[4] * n]
        else:
            a[0] += v[0] * n
            a[1] += v[1] * n
            a[2] += v[2] * n
            a[3] += v[3] * n
            a[4] += v[4] * n


def simulate(estate: Estate, faults: Sequence[Fault], noise: Noise) -> Series:
    """Observed span metrics of one run, per series and minute."""
    expected: dict[str, list[list[float] | None]] = {}
    backlog: dict[int, float] = {}
    calm_arrivals: dict[str, float] = {}
    calm_took: dict[int, float] = {}
    for m in range(MINUTES):
        sig = signature(faults, m)
        units = noise.units.get(sig)
        if units is None:
            units = noise.units[sig] = _units(estate, faults, m)
        eps, arrivals, cons, took = units
        acc: dict[str, list[float]] = {}
        arrived: dict[str, float] = {}
        for ep, unit, arr in zip(estate.endpoints, eps, arrivals, strict=True):
            r = ep.rate_at(m)
            _scaled(acc, unit, r)
            for b, x in arr.items():
                arrived[b] = arrived.get(b, 0.0) + x * r
        i = 0
        for broker, consumers in estate.consumers.items():
            got = arrived.get(broker, 0.0)
            calm = calm_arrivals.setdefault(broker, got)
            for con in consumers:
                # capacity falls as the consumer's processing slows: a backlog builds up
                base = calm_took.setdefault(i, took[i])
                cap = con.headroom * calm / max(1.0, took[i] / max(1e-6, base))
                queue = backlog.get(i, 0.0) + got
                done = min(queue, cap)
                backlog[i] = queue - done
                _scaled(acc, cons[i], done)
                i += 1
        for key, a in acc.items():
            expected.setdefault(key, [None] * MINUTES)[m] = a
    return {key: _observe(key, per, noise) for key, per in expected.items()}


def _observe(key: str, per: list[list[float] | None], noise: Noise) -> list[tuple[int, int, float]]:
    """Noisy observations of one series from its expected counts. The first run of a world (the
    one without faults) is kept: a later run expecting the same counts observes the same."""
    draws = noise.of(key)
    first = noise.seen.get(key)
    rows: list[tuple[int, int, float]] = []
    for m, a in enumerate(per):
        if a is None or a[0] <= 0:
            rows.append((0, 0, 0.0))
            continue
        if first is not None and first[0][m] == a:
            rows.append(first[1][m])
            continue
        u_calls, u_err, z = draws[m]
        calls = poisson_at(a[0], u_calls)
        errors = min(calls, poisson_at(a[1], u_err))
        slow = a[3] / a[0]
        extra = a[4] / a[3] if a[3] > 0 else 0.0
        jitter = math.exp((0.05 + 0.5 / math.sqrt(1 + calls)) * z)
        rows.append((calls, errors, (a[2] / a[0] + extra * min(1.0, slow / SLOW_P95)) * jitter))
    if first is None:
        noise.seen[key] = (per, rows)
    return rows
