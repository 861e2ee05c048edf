"""Family D, "request_flow": alerts that emerge from rules evaluated over a simulated estate.

Nothing here draws when or where an alert fires. Requests flow from the entry points through the
call graph (:mod:`~evalkit.families.flow_sim`), each service's error ratio, latency, CPU, pool,
memory, instances up and consumer lag follow from its own state and its dependencies', every
series carries its own noise, faults change some services' state, and each service's alerting
rules (:mod:`~evalkit.families.flow_rules`) are evaluated over the resulting series the way
Prometheus evaluates them. Ground truth is counterfactual: the world is simulated with its faults,
without any, and (with several) without each one in turn, on the same noise.

Parameters, fixed from first principles before any score was looked at:

* **Time**: 15 s steps over 2 h (a Prometheus scrape interval; long enough for a 10 min ``for:``
  and a slow leak). Rules evaluate every 30 or 60 s, from 10 min in (their windows need data).
* **Traffic**: each entry point 5-200 rps (log-uniform: small internal tools to busy front
  doors), a 5-25 % sinusoidal drift over 3-8 h, Poisson noise, and short spikes of +30-100 % for
  1-6 min about once per entry point every 4 h (bots, a push notification, a retry storm from
  outside). Calls per request 0.2-1 for services (not every request needs every callee), 0.5-2.5
  for datastores (a request often issues several queries).
* **Capacity**: CPU sized at 1.8-4x the mean load (teams provision for peaks; under 1.8 they
  page daily), never below what a small instance serves (5 rps per replica); pools 3-10x the
  mean requests in flight; memory at rest 35-70 % of the limit; 1-4 replicas.
* **Calm health**: own error ratio 0.03-0.6 % (log-uniform), own p95 2-20 ms for datastores and
  10-120 ms for services, latency noise 5-15 % per step.
* **Error handling per edge** (drawn once): callers wait 3-10x the callee's calm p95 (at least
  50 ms) before they time out; 25 % of calls are retried 1-3 times, 15 % have a fallback (the error is hidden, the
  wait is not), the rest pass errors on. Publishing to a broker is asynchronous (no waiting
  beyond the ack); a service nothing calls that reads from a broker is its consumer.
* **Faults**: errors in the service's own code (5-60 % of requests), latency x3-20, instances
  down (all of them, or 40 % of the time on replicated services some), a memory leak reaching the
  limit over 10-40 min (GC pauses, then OOM kills), CPU starvation (50-85 % of capacity lost),
  datastore slow queries x5-40, a broker delivering 5-50 % of messages. Onsets 25-80 min into the
  window; 70 % are mitigated after 15-50 min; 40 % of application faults follow a deploy of
  their service (it lands 0.5-3 min before the onset, the fault ramps in over a 1-4 min rollout,
  a rollback is recorded when it is mitigated).
* **Other changes**: 3-8 innocent deploys/config changes/flag flips anywhere in the window.
* **Monitoring**: see :data:`BASE`: 10 % of application services have no rules, 15 % only
  ``up``, 45 % error ratio + latency (half also ``up``), 30 % everything; 25 % of datastores and
  brokers none. Error thresholds 4-10x the calm ratio or a fixed 1/2/5 % SLO; latency 1.8-3x the
  calm p95; CPU/pool 85-95 %; consumer lag 60-300 s; ``for:`` 0-10 min; windows 1, 2 or 5 min;
  40 % of services aggregate errors/latency per pod. 70 % of rules have been tuned after a week of
  pages: their threshold is at least 1.1x the 99th percentile of what they read on a calm day.

Attribution: an alert (its latest episode; Alertmanager shows one alert per series) is noise when
the same rule also fires, overlapping in time, without any fault. Otherwise it belongs to the
fault without which it does not fire (overlapping); when removing no single fault silences it
(either fault alone would do) or several would, to the earliest-onset fault among those that
began before it fired. A fault no alert shows is not an incident anyone saw: the faults are
redrawn (another attempt, same estate and rules) until every fault shows at least one alert.
``World.degraded`` is every service whose noise-free series the fault moved (see
:func:`~evalkit.families.flow_sim.moved`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from evalkit.classic.topologies import Topology
from evalkit.families import flow_faults as ff
from evalkit.families import flow_net
from evalkit.families.flow_rules import Monitoring, Rule, draw_rules, episodes
from evalkit.families.flow_sim import Fault, Run, moved, simulate
from evalkit.world import (
    EPOCH,
    AlertBook,
    ChangeBook,
    Degraded,
    Graph,
    TrueIncident,
    World,
    background_changes,
    note_degraded,
)

FAMILY = "request_flow"

BASE = Monitoring(app_cover=(0.1, 0.15, 0.45, 0.3), infra_cover=(0.25, 0.3, 0.45), err_k=(4.0, 10.0),
                  lat_k=(1.8, 3.0), sat=(0.85, 0.95), fors=(0, 60, 120, 300, 600), windows=(4, 8, 20))
SPARSE = replace(BASE, app_cover=(0.5, 0.2, 0.2, 0.1), infra_cover=(0.6, 0.25, 0.15))
TIGHT = replace(BASE, app_cover=(0.0, 0.05, 0.35, 0.6), infra_cover=(0.05, 0.25, 0.7), err_k=(1.5, 3.0),
                lat_k=(1.2, 1.6), sat=(0.7, 0.8), fors=(0, 0, 60, 120), windows=(4, 8), tuned=0.2)
SLOW = replace(BASE, fors=(300, 450, 600), windows=(20, 40))
APP_KINDS = ("errors", "latency", "crash", "leak", "cpu")


@dataclass(frozen=True)
class Params:
    assumption: str
    faults: int = 1
    gap_min: tuple[float, float] = (1.0, 10.0)  # minutes between one fault's onset and the next's
    kinds: tuple[str, ...] = APP_KINDS  # fault kinds (mapped per kind of service, flow_faults)
    placement: str = "any"  # any | hub | app
    deploy: float = 0.4  # P(an application fault follows a deploy of its service)
    monitoring: Monitoring = field(default=BASE)
    p_retry: float = 0.25
    p_fallback: float = 0.15
    spikes_per_hour: float = 0.25  # per entry point
    changes: tuple[int, int] = (3, 8)  # innocent changes per world


CELLS: dict[str, Params] = {
    "baseline": Params("one fault of any kind anywhere, 40 % after a deploy; mixed monitoring; 25 % of calls "
                       "retried, 15 % with a fallback"),
    "sparse-monitoring": Params("half the application services and 60 % of datastores/brokers have no rules",
                                monitoring=SPARSE),
    "tight-thresholds": Params("every service monitored with thresholds 1.2-3x its calm values and short for:",
                               monitoring=TIGHT),
    "slow-rules": Params("rules average over 5-10 min and wait 5-10 min (for:) before firing", monitoring=SLOW),
    "retries-amplify": Params("70 % of calls are retried 1-3 times: failing callees get more load", p_retry=0.7,
                              p_fallback=0.05),
    "fallbacks-hide": Params("60 % of calls have a fallback: callers hide their callees' errors", p_retry=0.1,
                             p_fallback=0.6),
    "crash-only": Params("every fault takes instances down (all of them, or some)", kinds=("crash",)),
    "latency-only": Params("every fault is slowness: slow code, slow queries, a broker backing up",
                           kinds=("latency",)),
    "deploy-caused": Params("every fault hits an application service right after a deploy of it", placement="app",
                            deploy=1.0),
    "spiky-traffic": Params("entry points see a +30-100 % spike every 40 min: more natural noise",
                            spikes_per_hour=1.5),
    "two-concurrent": Params("two faults on two services, onsets 1-10 min apart", faults=2),
    "three-spread": Params("three faults on three services, onsets 15-30 min apart", faults=3, gap_min=(15.0, 30.0)),
    "hub-roots": Params("the fault hits shared infrastructure many services depend on", placement="hub"),
}

ATTEMPTS = 20  # fault draws per estate
ESTATES = 5  # estates (traffic, handling, rules) per world, when no fault on one shows
_LABELS = ("service", "app", "app_kubernetes_io_name", "service_name")
# Suffixed so that no namespace is ever also a service's name.
_NAMESPACES = ("shop-prod", "checkout-prod", "catalog-prod", "accounts-prod", "payments-prod", "search-prod")

Episode = tuple[int, int | None]
Owned = list[tuple[int, Episode]]  # (rule index, its latest episode)


def _overlap(a: Episode, b: Episode) -> bool:
    end_a = flow_net.STEPS + 1 if a[1] is None else a[1]
    end_b = flow_net.STEPS + 1 if b[1] is None else b[1]
    return a[0] < end_b and b[0] < end_a


def _owner(faults: list[Fault], necessary: list[int], start: int) -> int:
    """The fault an alert belongs to (see the module docstring)."""
    cands = necessary or list(range(len(faults)))
    began = [k for k in cands if faults[k].onset <= start] or cands
    return min(began, key=lambda k: (faults[k].onset, k))


@dataclass
class _Outcome:
    owned: list[Owned]
    noise: Owned
    full: Run
    without: list[Run]


def _attribute(net: flow_net.Net, rules: list[Rule], calm_eps: list[list[Episode]], calm: Run,
               faults: list[Fault]) -> _Outcome:
    full = simulate(net, faults, calm)
    without = [calm] if len(faults) == 1 else [simulate(net, faults[:k] + faults[k + 1:], calm)
                                               for k in range(len(faults))]
    out = _Outcome([[] for _ in faults], [], full, without)
    def eps(run: Run, i: int) -> list[Episode]:
        """A rule's episodes in a run; a service no fault touched has its calm ones."""
        if run.touched is None or not run.touched[rules[i].node]:
            return calm_eps[i]
        return episodes(net, run, rules[i])

    for i in range(len(rules)):
        fired = eps(full, i)
        if not fired:
            continue
        ep = fired[-1]
        if any(_overlap(ep, c) for c in calm_eps[i]):
            out.noise.append((i, ep))
            continue
        necessary = [k for k, run in enumerate(without) if not any(_overlap(ep, e) for e in eps(run, i))]
        out.owned[_owner(faults, necessary, ep[0])].append((i, ep))
    return out


def _labels(g: Graph, rng: random.Random) -> tuple[str, dict[str, str]]:
    """The world's service label and each service's namespace."""
    key = rng.choice(_LABELS)
    hubs = set(g.hubs)
    ns = {}
    for n in g.names:
        kind = "broker" if g.kind(n) == "broker" else "store" if g.is_store(n) else "hub" if n in hubs else "app"
        fixed = {"broker": "messaging-prod", "store": "data-prod", "hub": "platform-prod"}.get(kind)
        ns[n] = fixed or rng.choice(_NAMESPACES)
    return key, ns


@dataclass
class _Estate:
    g: Graph
    net: flow_net.Net
    calm: Run
    rules: list[Rule]
    calm_eps: list[list[Episode]]
    rng: random.Random


def _estate(topology: Topology, seed: int, params: Params, redraw: int) -> _Estate:
    rng = random.Random(f"{FAMILY}|{seed}" + (f"|estate|{redraw}" if redraw else ""))
    g = Graph.of(topology)
    net = flow_net.build(g, seed * 8 + redraw, rng, params.p_retry, params.p_fallback, params.spikes_per_hour)
    calm = simulate(net, [])
    rules = draw_rules(net, calm, rng, params.monitoring)
    return _Estate(g, net, calm, rules, [episodes(net, calm, r) for r in rules], rng)


def _faults(est: _Estate, seed: int, redraw: int, params: Params) -> tuple[ff.Plan, _Outcome] | None:
    """Faults every one of which some alert shows, if any attempt finds them."""
    got: tuple[ff.Plan, _Outcome] | None = None
    for attempt in range(ATTEMPTS):
        prng = random.Random(f"{FAMILY}|{seed}|faults|{redraw}|{attempt}")
        # A placement no alert can ever see (a cell's only hubs unmonitored, and their callers too)
        # gives way to any placement for the second half of the attempts.
        placement = params.placement if attempt < ATTEMPTS // 2 else "any"
        pl = ff.plan(est.g, est.net, prng, params.faults, params.gap_min, placement, params.kinds, params.deploy)
        out = _attribute(est.net, est.rules, est.calm_eps, est.calm, pl.faults)
        if all(out.owned):
            return pl, out
        if got is None and any(out.owned):
            got = (pl, out)
    return got


def generate(topology: Topology, seed: int, params: Params, cell: str = "") -> World:
    """One world of the family: simulated, evaluated, attributed."""
    for redraw in range(ESTATES):
        est = _estate(topology, seed, params, redraw)
        found = _faults(est, seed, redraw, params)
        if found is not None:
            break
    else:
        raise ValueError(f"{topology.name}: no fault raised an alert on {ESTATES} estates; is anything monitored?")
    pl, got = found
    g, rules, rng = est.g, est.rules, est.rng
    key, namespaces = _labels(g, rng)
    keep = [k for k, o in enumerate(got.owned) if o]
    now = ff.at(EPOCH, flow_net.STEPS)
    book = AlertBook(now)

    def add(i: int, ep: Episode) -> str | None:
        r = rules[i]
        svc = g.names[r.node]
        labels = {"alertname": r.alertname, key: svc, "namespace": namespaces[svc], "severity": r.severity,
                  **dict(r.labels)}
        return book.add(labels, ff.at(EPOCH, ep[0]), summary=r.summary.format(svc=svc),
                        ends_at=None if ep[1] is None else ff.at(EPOCH, ep[1]))

    tagged = sorted([(ep, i, k) for k in keep for i, ep in got.owned[k]] + [(ep, i, -1) for i, ep in got.noise],
                    key=lambda x: (x[0][0], x[1]))
    fps: dict[int, set[str]] = {k: set() for k in keep}
    noise: set[str] = set()
    for ep, i, k in tagged:
        fp = add(i, ep)
        if fp is not None:
            (noise if k < 0 else fps[k]).add(fp)
    by_fp = {a.fingerprint: a for a in book.alerts}
    incidents: list[TrueIncident] = []
    degraded: Degraded = {}
    changes = ChangeBook(random.Random(f"{FAMILY}|{seed}|changes"))
    for n, k in enumerate(keep):
        f, root = pl.faults[k], g.names[pl.faults[k].node]
        incidents.append(TrueIncident(
            id=f"inc-{n + 1}", root=root, fingerprints=frozenset(fps[k]), onset=ff.at(EPOCH, f.onset),
            root_silent=not any(by_fp[fp].service == root for fp in fps[k]),
            cause=("after a deploy: " if pl.deploys[k] else "") + ff.CAUSES[f.kind]))
        for v, (step, signals) in moved(got.full, got.without[k], f.onset).items():
            note_degraded(degraded, g.names[v], ff.at(EPOCH, step), signals)
        if pl.deploys[k]:
            changes.add(root, "deployment", ff.at(EPOCH, f.onset - changes.rng.randint(2, 12)))
            if f.end < flow_net.STEPS:
                changes.add(root, "deployment", ff.at(EPOCH, f.end), summary=f"Roll back {root}")
    names = [n for n in g.names if not g.is_loadgen(n)]
    background_changes(changes, names, EPOCH, now, changes.rng.randint(*params.changes))
    changes.changes.sort(key=lambda c: (c.at, c.id))
    return World(FAMILY, cell, topology.name, seed, topology.services, topology.edges, book.alerts,
                 changes.changes, incidents, frozenset(noise), now, degraded)
