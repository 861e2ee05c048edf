"""Family E, "span_traces": alerts on span metrics of requests modelled as traces.

Each entry point serves a few endpoints, each with one call tree through the topology drawn once
per world (:mod:`~evalkit.families.trace_model`); a fault acts on the spans of one service and
reaches exactly the requests whose trees pass through it, and through them the ancestor spans on
those paths only. Telemetry is what the OpenTelemetry collector's spanmetrics connector counts:
per service, span name and kind, calls, errors and a duration histogram, per minute
(:mod:`~evalkit.families.trace_sim`). Alert rules a team writes for those metrics are evaluated
over them like Prometheus does (:mod:`~evalkit.families.trace_rules`). Written without reading
the other held-out families' generation logic; never tuned on the engine's scores.

Parameters, fixed from first principles before anything was scored:

* **Time**: a 90 min window at one-minute resolution (the connector's metrics, scraped); rules
  evaluate every 30 s from minute 10. Faults start at minute 35-55 so the first half hour is calm
  (what a team reads its latency baselines off); the next fault of a world 1-10 min later.
* **Traffic**: 2-5 endpoints per entry point (at most 10 entry points and 30 endpoints: generation
  speed), each
  20-2,000 requests/min log-uniform (a back-office page to a busy home page), a daily shape of
  10-30 % amplitude, Poisson counts. A tree calls each dependency of a node with probability 0.45
  (so endpoints touch different subsets), at least one near the top, up to 6 deep and 24 spans;
  20 % of calls are repeated 2-4 times (a lookup per cart item), 25 % run in parallel.
* **Natural errors**: 0.01-0.3 % per operation (log-uniform): enough for a 1 % threshold on a
  low-traffic series to trip on one error among few calls, as real ones do.
* **Durations**: 2-40 ms of own work per service, 0.3-5 ms per datastore command, p95 about
  twice the mean, a jitter that grows as the per-minute call count falls.
* **Handling**, per caller-callee edge: propagate 60 %, retry 1-2 times then propagate 25 %,
  swallow and degrade 15 %; 60 % of edges have a client timeout of 1, 2 or 5 s. Faults are
  persistent per request (a bad product id fails every attempt), so retries multiply calls and
  client errors but do not hide the failure.
* **Faults**: error injection on every operation (20-100 % of requests) or on one operation only
  (10-50 %: the OpenTelemetry demo's flags fail one RPC for one product id), latency (+0.3-4 s on
  30-100 %), unreachable (no server spans at all; callers' connections refused, or timing out),
  exhaustion (everything slows over 5-15 min, errors past 60 % of the ramp). 30 % are fixed
  8-25 min after onset. 40 % follow a deploy of the root 1-10 min before, 15 % a flag flip on the
  flag service whose key names the target (``paymentFailure``); 3-8 innocent changes elsewhere.
* **Noise** is not injected as a share: rules fire on natural error and latency noise, plus 0-3
  short blips (a pod restart: 1-3 min of 5-40 % errors on one operation, or a slow minute).
* **Ground truth** by construction: the world is simulated with its faults, without any, and
  (with several) without each in turn, on the same noise draws. Each alert series is recorded
  once (Alertmanager keys alerts by labels) with its latest episode. An episode is noise when the
  run without faults fires on that series at an overlapping time; else it belongs to the fault
  whose removal alone makes it vanish; when several (or none alone) do, to the fault on the
  alerting service itself, else the earliest one.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import timedelta

from evalkit.classic.topologies import Topology
from evalkit.families.trace_model import Estate, build
from evalkit.families.trace_rules import Episode, Monitoring, Rule, evaluate, make_rules
from evalkit.families.trace_sim import MINUTES, Fault, Noise, Series, simulate
from evalkit.families.trace_truth import attribute, degraded, draw_faults
from evalkit.world import EPOCH, AlertBook, ChangeBook, Graph, TrueIncident, World, background_changes

FAMILY = "span_traces"
KINDS = ("error", "error_one", "latency", "unreachable", "exhaustion")
BASE = Monitoring()
CLIENT_ONLY = Monitoring(server=0.0, client=0.9, slo=0.0)
SLO_SPARSE = Monitoring(server=0.2, latency=0.5, client=0.1, slo=1.0)


@dataclass(frozen=True)
class Params:
    assumption: str
    faults: int = 1
    gap_min: tuple[int, int] = (1, 10)
    kinds: tuple[str, ...] = KINDS
    placement: str = "any"  # any | hub
    deploy: float = 0.4
    flag: float = 0.15
    monitoring: Monitoring = field(default=BASE)
    rate: tuple[float, float] = (20.0, 2000.0)
    handling: tuple[float, float, float] = (0.6, 0.25, 0.15)  # propagate, retry, swallow
    retries: tuple[int, int] = (1, 2)
    blips: tuple[int, int] = (0, 3)
    changes: tuple[int, int] = (3, 8)


CELLS: dict[str, Params] = {
    "baseline": Params("one fault of any kind on any service a request reaches; mixed rules; 40 % after a "
                       "deploy, 15 % after a flag flip"),
    "partial-path": Params("one operation of the root fails for 10-50 % of its requests: only callers on "
                           "endpoints using it see it", kinds=("error_one",)),
    "unreachable": Params("the root is unreachable: no server spans of its own, callers' calls fail",
                          kinds=("unreachable",)),
    "client-rules-only": Params("only client-span rules: a service is seen through its callers' alerts naming it",
                                monitoring=CLIENT_ONLY),
    "slo-edge-sparse": Params("burn-rate SLO alerts at the entry points, sparse internal rules",
                              monitoring=SLO_SPARSE),
    "low-traffic": Params("endpoints see 2-40 requests/min: error ratios jump on single errors",
                          rate=(2.0, 40.0)),
    "retries-amplify": Params("70 % of calls are retried 1-3 times: failing callees get more calls and "
                              "callers more client errors", handling=(0.2, 0.7, 0.1), retries=(1, 3)),
    "graceful-degradation": Params("60 % of callers swallow their callees' failures and degrade",
                                   handling=(0.3, 0.1, 0.6)),
    "flag-flip": Params("every fault follows a flag flip on the flag service naming its target, as the "
                        "OpenTelemetry demo's failure flags", kinds=("error", "error_one", "latency",
                                                                     "exhaustion"), deploy=0.0, flag=1.0),
    "two-concurrent": Params("two faults on two services, onsets 1-10 min apart", faults=2),
    "hub-root": Params("the fault hits a shared datastore, broker or other service many depend on",
                       placement="hub"),
}

ATTEMPTS = 8  # fault draws per estate until every incident shows an alert
ESTATES = 4


def _rng(seed: int, part: str, n: int = 0) -> random.Random:
    return random.Random(f"{FAMILY}|{seed}|{part}|{n}")


def _blips(estate: Estate, g: Graph, rng: random.Random, count: int) -> list[Fault]:
    pool = [s for s in estate.touched if estate.ops.get(s) and not g.is_store(s) and g.kind(s) != "broker"]
    out: list[Fault] = []
    for _ in range(count if pool else 0):
        svc = rng.choice(pool)
        at = rng.randint(12, MINUTES - 3)
        end = at + rng.randint(1, 3)
        if rng.random() < 0.6:
            op = frozenset({rng.choice(estate.ops[svc])})
            out.append(Fault(svc, "error", at, end, op, rng.uniform(0.05, 0.4)))
        else:
            out.append(Fault(svc, "latency", at, end, None, rng.uniform(0.2, 1.0),
                             math.exp(rng.uniform(math.log(200), math.log(1500)))))
    return out


def _fire(rules: list[Rule], runs: list[Series]) -> list[list[list[Episode]]]:
    return [[evaluate(r, s) for s in runs] for r in rules]


@dataclass
class Drawn:
    """Everything behind one world: the estate, its rules, the faults and the runs (for tests)."""

    graph: Graph
    estate: Estate
    blips: list[Fault]
    faults: list[Fault]
    rules: list[Rule]
    fired: list[list[list[Episode]]]  # per rule, per run (with every fault; without each, when several)
    owners: list[int | None]  # per rule: None silent, -1 noise, else the fault's index
    runs: list[Series]
    clean: Series
    rng: random.Random
    noise_seed: int


def draw(topology: Topology, seed: int, params: Params) -> Drawn:
    """Simulate a world's runs until every fault shows in some alert (else the last draw)."""
    g = Graph.of(topology)
    for redraw in range(ESTATES):
        rng = _rng(seed, "estate", redraw)
        estate = build(g, rng, params.rate, params.handling, params.retries)
        noise_seed = rng.getrandbits(48)
        noise = Noise(noise_seed)
        blips = _blips(estate, g, rng, rng.randint(*params.blips))
        clean = simulate(estate, blips, noise)
        rules = make_rules(estate, clean, g.entry_set, params.monitoring, rng)
        clean_eps = [evaluate(r, clean) for r in rules]
        for attempt in range(ATTEMPTS):
            frng = _rng(seed, "faults", redraw * ATTEMPTS + attempt)
            faults = draw_faults(estate, g, frng, params)
            if faults is None:
                break
            runs = [simulate(estate, [*faults, *blips], noise)]
            if len(faults) > 1:
                runs += [simulate(estate, [*faults[:k], *faults[k + 1:], *blips], noise) for k in range(len(faults))]
            fired = _fire(rules, runs)
            owners = attribute(rules, fired, clean_eps, faults)
            if all(any(o == k for o in owners if o is not None and o >= 0) for k in range(len(faults))) \
                    or (redraw == ESTATES - 1 and attempt == ATTEMPTS - 1):
                return Drawn(g, estate, blips, faults, rules, fired, owners, runs, clean, frng, noise_seed)
    raise RuntimeError(f"span_traces: no fault shows on {topology.name} (seed {seed})")


def generate(topology: Topology, seed: int, params: Params, cell: str = "") -> World:
    """One world of the family: traces simulated, rules evaluated, alerts attributed."""
    return _world(topology, seed, params, cell, draw(topology, seed, params))


def _world(topology: Topology, seed: int, params: Params, cell: str, d: Drawn) -> World:
    g, faults, rng = d.graph, d.faults, d.rng
    now = EPOCH + timedelta(minutes=MINUTES)
    book = AlertBook(now)
    owned: list[set[str]] = [set() for _ in faults]
    noise: set[str] = set()
    for rule, eps, owner in zip(d.rules, d.fired, d.owners, strict=True):
        if owner is None:
            continue
        start, end = eps[0][-1]
        labels = dict(rule.labels)
        fp = book.add(labels, EPOCH + timedelta(seconds=start),
                      summary=rule.summary.format(svc=labels["service_name"]),
                      ends_at=None if end is None else EPOCH + timedelta(seconds=end))
        if fp:
            (noise if owner < 0 else owned[owner]).add(fp)
    changes = ChangeBook(rng)
    background_changes(changes, [n for n in g.names if not g.is_loadgen(n)], EPOCH, now, rng.randint(*params.changes))
    flagd = sorted((n for n in g.names if g.kind(n) == "flags"), key=lambda n: (-len(g.callers[n]), n))
    incidents: list[TrueIncident] = []
    for k, f in enumerate(faults):
        onset = EPOCH + timedelta(minutes=f.onset)
        cause = f.kind
        u = rng.random()
        if u < params.flag:
            key = f.service.split("-")[0] + "".join(p.capitalize() for p in f.service.split("-")[1:])
            key += {"error": "Failure", "latency": "HighLatency", "unreachable": "Unreachable",
                    "exhaustion": "MemoryLeak"}[f.kind]
            changes.add(flagd[0] if flagd else f.service, "feature-flag", onset - timedelta(seconds=rng.uniform(5, 60)),
                        f"Flag {key} set to on")
            cause = f"flag {key}"
        elif u < params.flag + params.deploy:
            changes.add(f.service, "deployment", onset - timedelta(minutes=rng.uniform(1, 10)))
            cause = f"bad deploy: {f.kind}"
        if not owned[k]:
            continue
        mine = [a for a in book.alerts if a.fingerprint in owned[k]]
        incidents.append(TrueIncident(f"inc-{k}", f.service, frozenset(owned[k]), onset,
                                      not any(a.service == f.service for a in mine), cause))
    if not incidents:
        raise RuntimeError(f"span_traces: no fault shows on {topology.name} (seed {seed})")
    changes.changes.sort(key=lambda c: c.at)
    return World(FAMILY, cell, topology.name, seed, tuple(topology.services), tuple(topology.edges),
                 sorted(book.alerts, key=lambda a: (a.starts_at, a.fingerprint)), changes.changes, incidents,
                 frozenset(noise), now, degraded(d.estate, faults, d.blips))
