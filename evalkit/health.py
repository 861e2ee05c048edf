"""What a health source would read on a world's services, and the verdicts ``correlate`` gets.

A health source (Prometheus RED metrics: error ratio, p99 latency, request rate per service) is
not an oracle. This models its readings from the world's record of which services a fault
reached and when (``World.degraded``) and nothing else, with random streams of its own (the
world's is not touched), under these assumptions, each a constant below:

* **Coverage.** Not every service has metrics the source can read: most application services
  do (span metrics, client libraries), datastores and shared infrastructure less often (an
  exporter of their own, or nothing), load generators never.
* **A degraded service shows it only sometimes.** From the moment the fault reaches it, its error
  ratio, latency or traffic moves past the engine's thresholds with a probability by signal (slow
  burns, saturation building up, often do not yet); otherwise its errors rise a little, which is
  no verdict either way. A service that went down (``down``/``absent``) takes its own series
  with it half the time: no data.
* **An unaffected service mostly reads calm**; some run a steady 2 % error ratio (no verdict),
  and each has a small chance, per 20-minute slot, of a blip of failing requests for no
  incident's sake.

:func:`verdicts` reads it the way ``correlate_alerts`` does (``queries/correlate_health.py``):
each group's quiet candidates 15 min before it began against 5 min in (or the end of the
window), rounded down to the minute, through the engine's own
:func:`~opscontext.engine.correlation.health.verdict`. :class:`PrometheusModel` answers the same
readings over the Prometheus HTTP API, for the product path (``evalkit.product --health``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from evalkit.world import Graph, World
from opscontext.engine.correlation.health import HealthAt, HealthMap, HealthVerdict, verdict
from opscontext.models import ServiceHealth
from opscontext.queries.correlate_health import BEFORE, DURING

COVERAGE = {"app": 0.85, "store": 0.5, "infra": 0.6}
SEEN = {"errors": 0.9, "latency": 0.75, "timeouts": 0.75, "saturation": 0.35, "lag": 0.4, "gc": 0.4,
        "memory": 0.3}
SEEN_UNKNOWN = 0.7  # a generator that records no signals (the tuning family)
GONE = 0.5  # a service that went down: its own series vanish this often
CALM = 0.9  # an unaffected service runs calm (else a steady 2 % error ratio)
FALSE_ALARM = 0.03  # chance per 20-minute slot that an unaffected service blips
BLIP_SLOT_S = 1200

_BASE_ERRORS, _MUDDY_ERRORS, _FAILING = 0.002, 0.02, 0.3
_BASE_P99, _BASE_RATE = 0.12, 40.0

Reading = Callable[[str, datetime], ServiceHealth | None]


def readings(world: World, source: str = "evalkit") -> Reading:
    """The modelled health source of ``world``: a service's reading at an instant, or None (no
    series: not covered, or gone with the service)."""
    rng = random.Random(f"health|{world.family}|{world.cell}|{world.topology}|{world.seed}")
    g = Graph.of(world)  # type: ignore[arg-type]  # services and edges are all it reads
    plan: dict[str, tuple[float, float, float]] = {}  # covered service -> its draws
    for name in g.names:
        draws = (rng.random(), rng.random(), rng.random())  # drawn for every service, in order
        if not g.is_loadgen(name) and draws[0] < COVERAGE[_role(g, name)]:
            plan[name] = draws
    salt = rng.random()

    def read(name: str, at: datetime) -> ServiceHealth | None:
        draws = plan.get(name)
        if draws is None:
            return None
        _, gone, seen_draw = draws
        errors, p99, rate = _BASE_ERRORS if seen_draw < CALM else _MUDDY_ERRORS, _BASE_P99, _BASE_RATE
        hit = world.degraded.get(name)
        if hit is not None and at >= hit[0]:
            signals = hit[1]
            down = bool(signals & {"down", "absent"})
            if down and gone < GONE:
                return None
            seen = max((SEEN.get(s, 0.0) for s in signals), default=SEEN_UNKNOWN) if signals else SEEN_UNKNOWN
            if seen_draw < (max(seen, 0.9) if down else seen):
                if signals & {"errors", "down", "absent", "timeouts"} or not signals:
                    errors = _FAILING
                if signals & {"latency", "timeouts", "saturation", "gc", "memory", "lag"}:
                    p99 *= 4
                if down:
                    rate *= 0.1
            else:
                errors = _MUDDY_ERRORS
        elif random.Random(f"{salt}|{name}|{int(at.timestamp()) // BLIP_SLOT_S}").random() < FALSE_ALARM:
            errors = _FAILING
        return ServiceHealth(service=name, error_rate=errors, latency_p99_seconds=p99, request_rate=rate, at=at,
                             source=source)

    return read


def verdicts(world: World) -> HealthAt:
    """Verdicts on ``world``'s services for a group that began at a given instant, as
    correlate_alerts would make them from :func:`readings`."""
    read = readings(world)
    names = [s.name for s in world.services]
    memo: dict[datetime, HealthMap] = {}

    def at(start: datetime) -> HealthMap:
        known = memo.get(start)
        if known is None:
            before, during = _minute(start - BEFORE), _minute(min(world.now, start + DURING))
            out: dict[str, HealthVerdict] = {}
            for name in names:
                v = verdict(read(name, before), read(name, during))
                if v is not None:
                    out[name] = v
            known = memo[start] = out
        return known

    return at


def _minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)


def _role(g: Graph, name: str) -> str:
    if g.is_store(name):
        return "store"
    return "infra" if g.kind(name) is not None else "app"
