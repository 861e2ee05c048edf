"""What a health source would say about a world's services: the verdicts ``correlate`` reads.

A health source (Prometheus RED metrics: error ratio, p99 latency, request rate per service) is
not an oracle. This models what one sees, from the world's record of which services a fault
reached (``World.degraded``) and nothing else, with its own random stream (the world's is not
touched), under these assumptions, each a constant below:

* **Coverage.** Not every service has metrics the source can read: most application services
  do (span metrics, client libraries), datastores and shared infrastructure less often (an
  exporter of their own, or nothing), load generators never.
* **A degraded service is seen degraded only sometimes.** Its error ratio, latency or traffic
  must move past :mod:`opscontext.engine.correlation.health`'s thresholds; slow burns
  (saturation building up) often do not yet. A service that went down or stopped serving
  (``down``/``absent``) takes its own series with it half the time: no data, no verdict.
* **An unaffected service mostly reads "serving"**, but a health source also shows load blips
  and noisy ratios: a few read degraded for no incident's sake; some have too little traffic
  for a verdict.

Verdicts are per group, at the instants a server compares: a few minutes after the group began
against a quarter of an hour before (a fault that reached a service before both readings shows
no change between them).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from evalkit.world import Graph, World
from opscontext.engine.correlation.health import Health, HealthAt, HealthMap, HealthVerdict

COVERAGE = {"app": 0.85, "store": 0.5, "infra": 0.6}
SEEN = {"errors": 0.9, "latency": 0.75, "timeouts": 0.75, "saturation": 0.35, "lag": 0.4, "gc": 0.4,
        "memory": 0.3}
SEEN_UNKNOWN = 0.7  # a generator that records no signals (the tuning family)
GONE = 0.5  # a service that went down: its own series vanish this often (no verdict)
SERVING_SEEN = 0.9  # an unaffected, covered service reads "serving"
FALSE_ALARM = 0.03  # ... or "degraded" for a reason of its own
# The instants a server compares (queries/correlate_health): minutes after the group began
# against minutes before it.
DURING_S = 300.0
BEFORE_S = 900.0


def verdicts(world: World) -> HealthAt:
    """What a health source configured for ``world`` says of its services for a group beginning
    at a given instant: degraded when the fault reached the service between the two readings,
    nothing when it was already failing at the first (no change to see), else as unaffected."""
    rng = random.Random(f"health|{world.family}|{world.cell}|{world.topology}|{world.seed}")
    g = Graph.of(world)  # type: ignore[arg-type]  # services and edges are all it reads
    # Per service, drawn once whatever is asked: covered, and how each kind of reading comes out.
    plan: dict[str, tuple[float, float, float]] = {}
    for name in g.names:
        draws = (rng.random(), rng.random(), rng.random())
        if not g.is_loadgen(name) and draws[0] < COVERAGE[_role(g, name)]:
            plan[name] = draws
    memo: dict[datetime, HealthMap] = {}

    def at(start: datetime) -> HealthMap:
        known = memo.get(start)
        if known is None:
            known = memo[start] = _at(world, plan, start)
        return known

    return at


def _at(world: World, plan: dict[str, tuple[float, float, float]], start: datetime) -> HealthMap:
    during = start + timedelta(seconds=DURING_S)
    before = start - timedelta(seconds=BEFORE_S)
    out: dict[str, HealthVerdict] = {}
    for name, (_, gone, seen_draw) in plan.items():
        hit = world.degraded.get(name)
        if hit is not None and hit[0] <= before:
            continue  # failing at both readings: nothing moved between them
        if hit is not None and hit[0] <= during:
            signals = hit[1]
            down = bool(signals & {"down", "absent"})
            if down and gone < GONE:
                continue
            seen = max((SEEN.get(s, 0.0) for s in signals), default=SEEN_UNKNOWN) if signals else SEEN_UNKNOWN
            if seen_draw < (max(seen, 0.9) if down else seen):  # what is left of its traffic collapsed
                out[name] = HealthVerdict(Health.DEGRADED, "modelled: " + (",".join(sorted(signals)) or "reached"))
        elif gone < FALSE_ALARM:
            out[name] = HealthVerdict(Health.DEGRADED, "modelled: a blip")
        elif seen_draw < SERVING_SEEN:
            out[name] = HealthVerdict(Health.SERVING, "modelled: calm")
    return out


def _role(g: Graph, name: str) -> str:
    if g.is_store(name):
        return "store"
    return "infra" if g.kind(name) is not None else "app"
