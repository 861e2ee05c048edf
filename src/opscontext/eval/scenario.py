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
say which incident an alert belongs to.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from opscontext.eval.alerts_gen import AlertFactory
from opscontext.eval.topologies import Topology
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
    factory = AlertFactory(rng, cfg)
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


def _spread(root: str, onset: datetime, callers: dict[str, list[str]], cfg: ScenarioConfig,
            rng: random.Random) -> dict[str, tuple[datetime, int]]:
    affected = {root: (onset, 0)}
    frontier = [root]
    for depth in range(1, cfg.max_depth + 1):
        nxt = []
        for node in frontier:
            for caller in callers.get(node, ()):
                if caller not in affected and rng.random() < cfg.hop_probability:
                    delay = timedelta(seconds=rng.uniform(20, 150))
                    affected[caller] = (affected[node][0] + delay, depth)
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
        inc = Incident(f"inc-{k}", root, onset, _spread(root, onset, callers, cfg, rng))
        if all(_compatible(inc, other, neighbours, gap) for other in out):
            out.append(inc)
    return out
