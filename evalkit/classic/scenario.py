"""Seeded incident scenarios with ground truth, generated over a dependency graph.

For each incident a fault is injected at a root service and spreads to its callers hop by hop
with a delay, weakening as it goes (not every caller notices). The root raises latency, error
and saturation alerts; callers raise latency and error alerts, and further along "no requests"
and absent-traffic alerts. To keep the puzzle honest:

* no label says which service is the root, and alert names overlap between root and symptoms;
* root alerts wait for their rule's ``for:`` clause like any other, so a caller often alerts
  first, and sometimes the root's alerts are lost entirely (an unmonitored dependency);
* some hops stay silent while the fault passes through them;
* unrelated noise alerts fire anywhere at any time, some of them flapping; some deliveries are
  duplicated;
* most changes are innocent deploys; only some incidents have a causal change shortly before.

Several incidents run in one window. Two may overlap in time only when the services they touch
are more than two hops apart: closer than that nobody, human or machine, could
say which incident an alert belongs to. The one exception is the shape that breaks naive
grouping in real estates: two concurrent incidents down different branches under a **shared
entry point** (a gateway or front end calling both). The entry point then alerts for both, and
only its alerts' route labels (when it has them; ``route_labels``) and timing tell them apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from evalkit.classic.alerts_gen import AlertFactory
from evalkit.classic.topologies import Topology
from opscontext.models import Alert, Change

BASE = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


@dataclass(frozen=True)
class ScenarioConfig:
    hours: float = 4.0
    incidents: tuple[int, int] = (3, 5)
    hop_probability: float = 0.8  # a caller of an affected service is affected
    max_depth: int = 4
    silent_hop: float = 0.15  # an affected caller raises no alert
    silent_root: float = 0.08  # the root raises no alert at all
    causal_change: float = 0.5
    innocent_changes_per_service: float = 0.5
    noise_per_service_hour: float = 0.06
    flap: float = 0.1
    duplicate: float = 0.05
    overlap: float = 0.5  # try to start an incident while another is running
    shared_entry: float = 0.4  # add a concurrent incident under a caller of a running one
    route_labels: float = 0.7  # a caller with several dependencies labels alerts with the route

    @classmethod
    def for_size(cls, n_services: int) -> ScenarioConfig:
        if n_services <= 100:
            return cls()
        # Large estates: many incidents at once, noise proportional to size.
        k = max(3, n_services // 100)
        return cls(incidents=(k, k + k // 2), overlap=0.8, noise_per_service_hour=0.02)


@dataclass
class Incident:
    id: str
    root: str
    onset: datetime
    affected: dict[str, tuple[datetime, int]]  # service -> (onset, depth)
    via: dict[str, str] = field(default_factory=dict)  # service -> dependency the fault came through
    fingerprints: set[str] = field(default_factory=set)
    causal_change: str | None = None


@dataclass
class Scenario:
    topology: Topology
    seed: int
    alerts: list[Alert]
    changes: list[Change]
    incidents: list[Incident]
    noise: set[str]
    now: datetime

    def truth(self) -> dict[str, str]:
        """Fingerprint -> incident id; noise fingerprints map to themselves (singletons)."""
        out = {fp: fp for fp in self.noise}
        for inc in self.incidents:
            out.update(dict.fromkeys(inc.fingerprints, inc.id))
        return out


def generate(topology: Topology, seed: int, config: ScenarioConfig | None = None) -> Scenario:
    cfg = config or ScenarioConfig.for_size(len(topology.services))
    rng = random.Random(seed)
    start = BASE + timedelta(days=seed % 97)
    callers = _callers(topology)
    neighbours = _neighbours(topology)
    incidents = _schedule(topology, callers, neighbours, cfg, rng, start)
    if rng.random() < cfg.shared_entry:
        _add_shared_entry(incidents, topology, callers, neighbours, cfg, rng)
    factory = AlertFactory(rng, cfg, _dependencies(topology))
    noise = factory.noise([s.name for s in topology.services], start, cfg.hours)
    for inc in incidents:
        factory.incident(inc)
    # One lone alert cannot be told from noise by anyone; score it as noise, not as an incident.
    lone = [inc for inc in incidents if len(inc.fingerprints) < 2]
    for inc in lone:
        noise |= inc.fingerprints
    incidents = [inc for inc in incidents if len(inc.fingerprints) >= 2]
    changes = factory.changes(topology, incidents, start)
    alerts = sorted(factory.alerts, key=lambda a: (a.starts_at, a.fingerprint))
    now = start + timedelta(hours=cfg.hours, minutes=10)
    return Scenario(topology, seed, alerts, changes, incidents, noise, now)


def _callers(t: Topology) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {s.name: [] for s in t.services}
    for e in t.edges:
        out.setdefault(e.dependency, []).append(e.dependent)
    return {k: sorted(set(v)) for k, v in out.items()}


def _neighbours(t: Topology) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {s.name: set() for s in t.services}
    for e in t.edges:
        out.setdefault(e.dependent, set()).add(e.dependency)
        out.setdefault(e.dependency, set()).add(e.dependent)
    return out


def _dependencies(t: Topology) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for e in t.edges:
        out.setdefault(e.dependent, set()).add(e.dependency)
    return out


def _spread(root: str, onset: datetime, callers: dict[str, list[str]], cfg: ScenarioConfig,
            rng: random.Random, via: dict[str, str] | None = None) -> dict[str, tuple[datetime, int]]:
    affected = {root: (onset, 0)}
    frontier = [root]
    for depth in range(1, cfg.max_depth + 1):
        nxt = []
        for node in frontier:
            for caller in callers.get(node, ()):
                if caller not in affected and rng.random() < cfg.hop_probability:
                    delay = timedelta(seconds=rng.uniform(20, 150))
                    affected[caller] = (affected[node][0] + delay, depth)
                    if via is not None:
                        via[caller] = node
                    nxt.append(caller)
        frontier = nxt
    return affected


def _compatible(a: Incident, b: Incident, neighbours: dict[str, set[str]], gap: timedelta) -> bool:
    if abs(a.onset - b.onset) >= gap:
        return True
    # Within two hops of each other, alerts of simultaneous incidents are ambiguous by nature.
    near = set(b.affected)
    for s in b.affected:
        near |= neighbours.get(s, set())
    return not any(s in near or neighbours.get(s, set()) & near for s in a.affected)


def _schedule(t: Topology, callers: dict[str, list[str]], neighbours: dict[str, set[str]],
              cfg: ScenarioConfig, rng: random.Random, start: datetime) -> list[Incident]:
    names = [s.name for s in t.services]
    wanted = rng.randint(*cfg.incidents)
    span = cfg.hours * 3600 - 1800
    gap = timedelta(minutes=45)
    out: list[Incident] = []
    for k in range(wanted * 4):
        if len(out) >= wanted:
            break
        if out and rng.random() < cfg.overlap:
            onset = rng.choice(out).onset + timedelta(seconds=rng.uniform(-240, 240))
        else:
            onset = start + timedelta(seconds=rng.uniform(300, span))
        root = rng.choice(names)
        via: dict[str, str] = {}
        inc = Incident(f"inc-{k}", root, onset, _spread(root, onset, callers, cfg, rng, via), via)
        if all(_compatible(inc, other, neighbours, gap) for other in out):
            out.append(inc)
    return out


def _add_shared_entry(incidents: list[Incident], t: Topology, callers: dict[str, list[str]],
                      neighbours: dict[str, set[str]], cfg: ScenarioConfig, rng: random.Random) -> None:
    """Start a second incident, within two minutes of a running one, whose fault climbs to one
    of the running incident's callers through a different branch. Only the shared callers
    (and their callers) may be near both; everything below them must stay apart as usual."""
    first = rng.choice([i for i in incidents if len(i.affected) > 1] or [None])
    if first is None:
        return
    deps = _dependencies(t)
    entries = sorted(s for s, (_, d) in first.affected.items() if d >= 1 and len(deps.get(s, ())) >= 2)
    for _ in range(8 if entries else 0):
        entry = rng.choice(entries)
        branch = sorted(deps[entry] - set(first.affected))
        if not branch:
            continue
        b = rng.choice(branch)
        below = sorted(deps.get(b, set())) if rng.random() < 0.4 else []
        root = rng.choice(below) if below else b
        onset = first.onset + timedelta(seconds=rng.uniform(-120, 120))
        via: dict[str, str] = {}
        inc = Incident(f"inc-shared-{len(incidents)}", root, onset, _spread(root, onset, callers, cfg, rng, via), via)
        if entry not in inc.affected:
            continue
        shared = _upstream(entry, callers) | {entry}
        if _apart_below(first, inc, shared, neighbours) and all(
            _compatible(inc, other, neighbours, timedelta(minutes=45)) for other in incidents if other is not first
        ):
            incidents.append(inc)
            return


def _upstream(service: str, callers: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [service]
    while stack:
        for c in callers.get(stack.pop(), ()):
            if c not in seen:
                seen.add(c)
                stack.append(c)
    return seen


def _apart_below(a: Incident, b: Incident, shared: set[str], neighbours: dict[str, set[str]]) -> bool:
    """More than two hops apart once the shared callers are taken out of the picture."""
    own_a, own_b = set(a.affected) - shared, set(b.affected) - shared
    if not own_a or not own_b:
        return False
    near = set(own_b)
    for s in own_b:
        near |= neighbours.get(s, set()) - shared
    return not any(s in near or (neighbours.get(s, set()) - shared) & near for s in own_a)
