"""How chaos_bench draws one incident: its root, its fault, what the rules raise, its posture.

See :mod:`evalkit.families.chaos_bench` for the model and the numbers. An incident's *posture*
(its fault kind, whether its root is silent, whether its root's first alert leads the incident's
others) is drawn first, from a low-discrepancy sequence over seeds; attempts, each from a stream
of its own, then draw a root, a fault and its spread until a world realises the posture by
itself (the first :data:`_NATURAL_TRIES`), else force it (up to :data:`_TRIES`; shared-hub cells
give up the hub restriction after :data:`_HUB_TRIES`), else try the mix's other kinds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from evalkit.classic.topologies import Topology
from evalkit.families.chaos_faults import CODE_FAULTS, POSTURE, SIGNATURE, Edges, Fault, Reached, make_fault, propagate
from evalkit.families.chaos_noise import Series
from evalkit.families.chaos_rules import (
    ERRORS,
    OOM,
    SATURATION,
    UNAVAILABLE,
    Estate,
    Profile,
    Rule,
    Signal,
    describe,
    fire,
    labels,
    unit,
)
from evalkit.world import Graph

if TYPE_CHECKING:
    from evalkit.families.chaos_bench import Params

FAMILY = "chaos_bench"
_ROUTES = ("/", "/api/cart", "/api/checkout", "/api/products", "/api/login", "/api/search", "/api/orders",
           "/api/recommendations", "/api/profile", "/api/shipping")

_NATURAL_TRIES, _HUB_TRIES, _TRIES = 3, 8, 16


@dataclass(frozen=True)
class Hit:
    """One alert series a rule raises (labels are built only for the draft that is kept)."""

    prof: Profile
    rule: Rule
    pod: int | None
    route: str
    start: float
    end: float
    x: float

    def series(self, estate: Estate) -> Series:
        prof, rule = self.prof, self.rule
        lab = labels(estate, prof, rule, self.pod, {"route": self.route} if self.route else None)
        return lab, self.start, self.end, rule.summary.format(svc=prof.name), describe(rule, prof, self.pod, self.x)


@dataclass
class Draft:
    k: int
    fault: Fault
    reached: dict[str, Reached]
    own: list[Hit]  # the root's series
    calls: dict[str, list[Hit]]  # a caller's series, by caller


def _weyl(seed: int, k: int, axis: int) -> float:
    """The posture's uniform on ``axis`` (0 silent, 1 leads, 2 fault kind) for incident ``k`` of
    world ``seed``: the R3 Kronecker sequence over seeds (steps 1/g, 1/g^2, 1/g^3 with g > 1 the
    real root of x^4 = x + 1), so any run of consecutive seeds covers the three jointly and evenly
    and realises a cell's shares to within a few points instead of a binomial spread."""
    step = (0.8191725133961645, 0.6710436067037893, 0.5497004779019703)[axis]
    return (seed * step + k * 0.7548776662466927 + 0.5) % 1.0


def _lean(target: float, weight: float, mean_w: float) -> float:
    """Per-kind probability averaging to ``target`` over the mix (weight: propensity in [0.5, 1.5])."""
    if target <= 0.5:
        return min(1.0, target * weight / mean_w)
    return max(0.0, 1 - (1 - target) * (2 - weight) / (2 - mean_w))


def secs(t: float) -> timedelta:
    return timedelta(seconds=t)


def _hits(seed: int, prof: Profile, signals: list[Signal], storm: bool, rng: random.Random) -> list[Hit]:
    """What the service's rules raise on its signals (the strongest pulse of each kind)."""
    strongest: dict[str, Signal] = {}
    for s in signals:
        if s.kind not in strongest or s.x > strongest[s.kind].x:
            strongest[s.kind] = s
    out: list[Hit] = []
    n = len(prof.pods)
    for rule in prof.rules:
        sig = strongest.get(rule.kind)
        if sig is None:
            continue
        if rule.source == "slo":  # per route when it storms (a route not using the path stays quiet)
            routes = rng.sample(_ROUTES, rng.randint(3, 8)) if storm else [""]
            for route in routes:
                x = min(1.0, sig.x * rng.uniform(0.5, 1.5) * (rng.random() < 0.75)) if route else sig.x
                got = fire(rule, prof, sig, x)
                if got:
                    out.append(Hit(prof, rule, None, route, got[0], got[1], x))
        elif rule.per_pod or (storm and rule.source in ("app", "client")):
            for i in sig.pods if sig.pods is not None else range(n):
                x = min(1.0, sig.x * (0.8 + 0.4 * unit(seed, prof.name, i, rule.alertname, sig.start)))
                got = fire(rule, prof, sig, x)
                if got:
                    out.append(Hit(prof, rule, i, "", got[0], got[1], x))
        else:
            x = sig.x * (len(sig.pods) / n if sig.pods is not None else 1.0)
            got = fire(rule, prof, sig, x)
            if got:
                out.append(Hit(prof, rule, None, "", got[0], got[1], x))
    return out


_SIG_RULES: dict[str, Rule] = {
    UNAVAILABLE: Rule("KubePodNotReady", UNAVAILABLE, "kube", 0, 0.5, 0, "warning", True,
                      "Pod has been in a non-ready state for too long."),
    SATURATION: Rule("ContainerCpuUsageHigh", SATURATION, "kube", 60, 0.8, 300, "warning", True,
                     "Container CPU usage above 80% of its limit"),
    OOM: Rule("KubeContainerOOMKilled", OOM, "kube", 0, 0.5, 0, "warning", True, "Container was OOMKilled"),
}


def _signature(estate: Estate, prof: Profile, fault: Fault, rng: random.Random) -> list[Hit]:
    """The one alert a root whose rules missed its fault still raises when the cell says it is not
    silent: a rule of its estate watching the fault's main signal with a short ``for:`` (at most a
    minute), firing while the fault lasts."""
    kind = SIGNATURE[fault.kind]
    rule = next((r for r in prof.rules if r.kind == kind and r.source != "slo" and r.for_s <= 60), None)
    if rule is None:
        rule = _SIG_RULES.get(kind)
    if rule is None:  # errors or latency: the estate's own rule name for it
        lat, err, _ = estate.dialect
        rule = Rule(err if kind == ERRORS else lat, kind, "app", 60, 0.02, 60, "warning", False,
                    "High error ratio on {svc}" if kind == ERRORS else "High request latency on {svc}")
    start = fault.onset + rng.uniform(20, max(30, min(fault.end - fault.onset, 240)))
    end = max(fault.end, start + 30) + rng.uniform(30, 120)
    return [Hit(prof, rule, 0 if rule.per_pod else None, "", start, end, 1.0)]


def _shift(hits: list[Hit], by: float) -> list[Hit]:
    return [replace(h, start=h.start + by, end=h.end + by) for h in hits]


_GRAPHS: dict[int, tuple[Topology, Graph]] = {}


def _graph(topology: Topology) -> Graph:
    """Graph.of, kept for the last few topologies (building it is a third of a world on 300 services)."""
    known = _GRAPHS.get(id(topology))
    if known is None or known[0] is not topology:
        if len(_GRAPHS) >= 32:
            _GRAPHS.clear()
        known = _GRAPHS[id(topology)] = (topology, Graph.of(topology))
    return known[1]


class Gen:
    def __init__(self, topology: Topology, seed: int, params: Params, now_s: float) -> None:
        self.g = _graph(topology)
        self.seed, self.params, self.now_s = seed, params, now_s
        self.estate = Estate(self.g, seed, params.unmonitored, params.lag_max_s)
        weights = dict(params.faults)
        total = sum(weights.values())
        self.mix = {k: w / total for k, w in weights.items()}
        self.mean_silent = sum(w * POSTURE[k][0] for k, w in self.mix.items())
        self.mean_lead = sum(w * POSTURE[k][1] for k, w in self.mix.items())
        hubs = set(self.g.hubs) | {s for s in self.g.stores if len(self.g.callers[s]) >= 3}
        self.hubs = sorted(hubs)
        self.roots: set[str] = set()  # roots of the incidents drawn so far
        self.edges = Edges(self.g, seed)
        self._fit: dict[tuple[str, bool], list[str]] = {}

    def _fitting(self, kind: str, hub: bool) -> list[str]:
        """Services a fault of this kind can be injected into (hubs only, if ``hub``)."""
        key = (kind, hub)
        known = self._fit.get(key)
        if known is None:
            g = self.g
            pool = [n for n in (self.hubs if hub else g.names) if not g.is_loadgen(n)]
            if kind == "disk-io":
                pool = [n for n in pool if g.is_store(n)]
            elif kind in CODE_FAULTS:
                pool = [n for n in pool if not g.is_store(n) and g.kind(n) != "broker"]
            known = self._fit[key] = pool
        return known

    def candidates(self, kind: str, need_callers: bool, hub: bool, claimed: dict[str, float]) -> list[str]:
        """Roots the fault kind fits; ``need_callers``: only those some caller no earlier
        incident reached could show (a silent or lagging root needs one)."""
        pool = [n for n in self._fitting(kind, hub) if n not in self.roots]
        if need_callers:
            pool = [n for n in pool if any(c not in claimed for c in self.edges.callers(n))]
        return pool

    def pick_root(
        self, kind: str, need_callers: bool, claimed: dict[str, float], rng: random.Random, hub_ok: bool,
    ) -> str | None:
        hub = rng.random() < self.params.hub_roots and hub_ok
        pool = (self.candidates(kind, need_callers, hub, claimed) or self.candidates(kind, need_callers, False, claimed)
                or self.candidates(kind, False, False, claimed))
        if not pool:
            return None
        g = self.g
        w = [0.5 if n in g.entry_set else 0.6 if g.is_store(n) else 1.0 for n in pool]
        return rng.choices(pool, w)[0]

    def draft(self, k: int, onset: float, claimed: dict[str, float], loud: bool = False) -> Draft | None:
        """Incident k: its root, fault and alerts, realising the cell's posture. ``claimed``: when
        earlier incidents reached each service (they own it if they got there first)."""
        p = self.params
        kinds = [x for x in self.mix if self.candidates(x, False, False, claimed)] or ["cpu-hog"]
        u, acc = _weyl(self.seed, k, 2), 0.0
        kind = kinds[-1]
        for x in kinds:  # the mix's inverse CDF (kinds with no possible root left out)
            acc += self.mix.get(x, 1.0) / sum(self.mix.get(y, 1.0) for y in kinds)
            if u < acc:
                kind = x
                break
        silent = _weyl(self.seed, k, 0) < _lean(p.silent, POSTURE[kind][0], self.mean_silent) and not loud
        lead_p = p.root_first if p.draw_root_first is None else p.draw_root_first
        lead = _weyl(self.seed, k, 1) < _lean(lead_p, POSTURE[kind][1], self.mean_lead)
        storm = random.Random(f"{FAMILY}|{self.seed}|inc{k}|posture").random() < p.storm
        done, best = self._attempts(k, kind, silent, lead, storm, onset, claimed, _NATURAL_TRIES, _TRIES, "")
        # A posture this kind cannot show here (no caller of any fitting root can alert): another
        # kind of the mix, fewer attempts each, before giving in.
        for other in sorted(kinds, key=lambda x: (-self.mix.get(x, 0.0), x)):
            if done is not None:
                break
            if other != kind:
                done, _ = self._attempts(k, other, silent, lead, storm, onset, claimed, 2, 6, f"|{other}")
        return done or best

    def _attempts(
        self, k: int, kind: str, silent: bool, lead: bool, storm: bool, onset: float, claimed: dict[str, float],
        natural_tries: int, tries: int, tag: str,
    ) -> tuple[Draft | None, Draft | None]:
        """(a draft realising the posture, else the best one that only fails to lag)."""
        p, g, estate = self.params, self.g, self.estate
        best: Draft | None = None
        for attempt in range(tries):
            rng = random.Random(f"{FAMILY}|{self.seed}|inc{k}{tag}|try{attempt}")
            root = self.pick_root(kind, silent or not lead, claimed, rng, attempt < _HUB_TRIES)
            if root is None:
                return None, best
            prof = estate.profile(root)
            fault = make_fault(kind, root, onset, len(prof.pods), bool(g.callees[root]), rng)
            own = [h for h in _hits(self.seed, prof, fault.root_signals, storm, rng) if h.start < self.now_s]
            natural = attempt < natural_tries
            if natural and bool(own) == silent:  # not this root, as it stands
                continue
            reached = propagate(fault, g, self.edges, rng)
            calls: dict[str, list[Hit]] = {}
            for name, r in reached.items():
                if name in claimed and claimed[name] <= r.arrival:
                    continue
                if p.hop_silence and name not in g.entry_set and g.callers[name] and rng.random() < p.hop_silence:
                    continue
                got = [h for h in _hits(self.seed, estate.profile(name), r.signals, storm, rng) if h.start < self.now_s]
                if got:
                    calls[name] = got
            first_call = min((h.start for hs in calls.values() for h in hs), default=None)
            if silent:
                own = []
                if first_call is None:
                    continue
            else:
                if not own:
                    own = _signature(estate, prof, fault, rng)
                first_own = min(h.start for h in own)
                leads = first_call is None or first_own < first_call
                if lead != leads:
                    if natural:
                        continue
                    if first_call is None:  # nothing but the root alerts: it cannot lag
                        best = best or Draft(k, fault, reached, own, calls)
                        continue
                    if lead:
                        target = onset + (first_call - onset) * rng.uniform(0.3, 0.9)
                        own = _shift(own, target - first_own)
                    else:
                        later = min(first_call + rng.uniform(0, 120), max(first_call, self.now_s - 1))
                        own = [h for h in _shift(own, later - first_own) if h.start < self.now_s]
            return Draft(k, fault, reached, own, calls), best
        return None, best
