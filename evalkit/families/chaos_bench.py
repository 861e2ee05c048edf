"""chaos_bench: fault-injection experiments of public microservice RCA benchmarks, as alerts.

Written blind to the correlation engine, from public facts about Chaos Mesh / LitmusChaos
experiments (RCAEval RE1-RE3, Nezha, Eadro on Sock Shop, Online Boutique, Train-Ticket) and the
alerts a kube-prometheus-stack estate with per-service RED rules and entry-point SLO rules raises
during them. Modules: :mod:`~evalkit.families.chaos_faults` (fault kinds, propagation),
:mod:`~evalkit.families.chaos_rules` (monitoring estate, rule evaluation, labels),
:mod:`~evalkit.families.chaos_draft` (one incident and its posture),
:mod:`~evalkit.families.chaos_noise` (noise); this one holds the cells and assembles a world.

**Timeline.** The first experiment starts 45-75 min into the world (room for an hour of history,
chronic noise and innocent changes before it); further ones follow 2-10 min apart (1-8 in the
concurrent cell). The world is read 25-40 min after the last onset: most experiments have ended
and their alerts resolved, the longest (leaks, bad deploys) may still be firing.

**Faults** (kind: duration; what the root itself shows; what its callers get). Durations are the
benchmarks' (RCAEval injects for minutes; a bad deploy lasts until rolled back):

* ``cpu-hog`` 5-15 min: CPU saturated at once (throttled if the pod has limits, 70 %); latency
  rises 20-90 s later for 30-90 % of requests (queueing); callers get that latency.
* ``memory-leak`` 10-20 min: memory ramps 3-10 min (a usage rule at 85 % trips at ~70 % of the
  ramp), then OOM kills and restarts every minute or two (crash loop); each restart an error
  burst, 15-50 % of requests failing on average; callers get intermittent errors.
* ``network-delay`` 5-10 min, 100 ms-2 s netem on the root's interface: the delay is outside
  the root's process, so its server-side latency moves only through its own delayed outbound
  calls (if it has dependencies: 10-60 % of requests), and its pods go not-ready only when the
  delay beats the kubelet probe timeout (1 s; 60 % of such runs); every call to it is slow, so
  callers get latency (under 200 ms only half of them miss an objective) and timeouts.
* ``network-loss`` 5-10 min, 10-50 % loss: retransmits; callers get tail latency (2x loss) and
  sporadic errors (loss/2); the root a little latency if it calls others, not-ready flaps (40 %).
* ``pod-kill`` 15-75 s (until the replacement is ready) and ``pod-failure`` 2-6 min: the pod is
  not ready / its target down; callers get connection errors that long. The root's request
  metrics vanish with the pod: only kube rules can see it, and their ``for:`` often outlasts it.
* ``http-abort`` 5-15 min, 10-100 % of requests aborted, and ``code-exception`` 8-25 min, 5-60 %
  failing (30 % also crash-loop): the root's own error rule sees it at once; callers get errors.
* ``disk-io`` 5-12 min, datastores only: 30-90 % of queries slow (an exporter's slow-query rule
  sees it if the store has one); callers get latency.

Chaos Mesh's mode is ``one`` pod in half the runs (per-pod rules see that pod, aggregated rules
a 1/replicas share). The mixed cells draw kinds like RCAEval's spread of resource, network, pod
and code faults (:data:`MIXED`: cpu 16 %, memory 14 %, delay 14 %, loss 10 %, pod-kill 10 %,
pod-failure 6 %, abort 10 %, exception 10 %, disk 10 %). Roots: any service but load
generators (entry points x0.5 and datastores x0.6 as likely as others); code faults only on
application services, disk-io only on datastores (another kind of the mix where there is none).
Shared hubs: the topology's shared infrastructure (:attr:`evalkit.world.Graph.hubs`) and the
datastores three or more services depend on.

**Propagation** (dependency -> dependents, earliest path first, each service once, so cycles
end): 5-40 s per hop; per edge (drawn once per world) the caller times out (50 %: a callee slow
for >= 30 % of calls trips deadlines, giving timeouts and errors), retries (25 %: x1.2, plus
latency) or degrades gracefully (25 %: a fallback, cache or breaker swallows it; the path ends);
async edges give consumer lag 1-4 min later and go no further. A caller sends 0.1 + 0.9 u^2 of
its requests down one dependency (mean 0.4) and its own latency objective absorbs part of a
callee's slowness (x0.5-1), so faults thin out; below 1 % of requests (the lowest threshold any
rule has) or after 8 hops they stop.

**Monitoring.** Application services: RED rules plus the estate's kube rules (``full``), kube
rules only (15 %), or no rule at all (``unmonitored``, 12 %: out-of-cluster, or a namespace the
rule selector misses); datastores and brokers: exporter rules (55 %), kube rules (25 %), nothing
(20 %); shared infrastructure (auth, config, flags): full 45 %, kube 40 %, nothing 15 %; entry
points are nearly always watched (95 %) and add multiwindow burn-rate rules (14.4x over 1 h and
5 min, objectives 99/99.5/99.9 %). RED rules come from six team copies of the estate's template:
``for:`` 1-10 min, thresholds 1-10 % of requests, rate windows 1-5 min, per pod in 45 %. Kube
rules are one estate-wide set: kube-prometheus-stack defaults (15 min) or shortened ones
(CrashLooping 5-15, NotReady 1-15, TargetDown 1-10 min), CPUThrottlingHigh 15 min. Evaluation
every 30 s mostly (the kube-prometheus-stack default; 15 or 60 s for some). Detection lag per
service uniform in [0, ``lag_max_s``] (scrape, remote-write and rule-chain delays; 90 s by
default). Which label names the service is one per estate in 80 % of services (service, app,
app_kubernetes_io_name, k8s_deployment_name, job, ...). No alert names whom its service calls.

**Posture** (the shares a cell states, realised per incident). The fault kind, whether the
root is silent and whether it leads are drawn first (uniforms from a three-dimensional Kronecker
sequence over seeds, so 200 consecutive seeds realise a share within a few points, not a
binomial spread), with probabilities that average to the cell's ``silent`` and ``root_first``
over its fault mix and lean per kind (:data:`~evalkit.families.chaos_faults.POSTURE`: network
faults and datastores silent more often, code faults leading more often; the smaller of p and
1-p is scaled). Three attempts (other root, other timings) look for a world that realises it by
itself (silent roots are then unwatched or blind to the fault, leading roots have fast rules);
then up to 13 more force it (the last 8 may leave the hubs of a shared-hub cell): a silent
root's alerts are dropped (its rules are blind to the fault), a root with no alert gets the
alert of its fault's main signal from a rule with a short ``for:`` (a kube rule, or its error or
latency rule), a leading root's alerts move before its callers' first (a faster rule), a lagging
root's just after it (slower rules). A silent or lagging root needs a caller that alerts: it is
drawn among services with a caller no earlier experiment reached. When no root of the kind can
show the posture on the topology (say disk stress on its only datastore, whose one caller
swallows failures), other kinds of the mix get six attempts each; if none can either, a lag gives
way (the root leads) and a silent experiment is skipped. The concurrent cell draws leads at 66 %
to realise 70 % (``draw_root_first``): a later experiment often finds its callers claimed.

**Storms**: with probability ``storm`` (20 % by default) an incident's entry points alert per
route (3-8 routes, each on the failing path in 75 %) and every reached service's RED rules per
pod. Intermediate callers (reached, not entry points) lose their alerts for an incident with
probability ``hop_silence`` (10 % by default: watched, but not for this).

**Noise**: a count making the cell's ``noise`` share of all alerts (stochastically rounded),
drawn from its own stream, on any service and at any time (never timed or placed by a fault):
chronic warnings firing for hours (30 %), flapping rules (25 %), pod restart blips (15 %),
load-test spikes across an entry point and the services below it (15 %), rollout hiccups after
innocent deploys (15 %).

**Changes**: 3-6 innocent changes spread over the window (70 % deploys); with ``root_deploy``
the root of a code fault was deployed 1-12 min before its onset (the regression's deploy); with
``decoy_deploy`` (15 %) a service the fault reached was deployed 1-15 min before it. A chaos
experiment is not a change.

**Truth.** Every alert is noise or one incident's. A service two concurrent faults reach belongs
to the one that reached it first: the other's alerts on it are not in the world at all (its
root's own alerts always stay its own). An incident left with no alert is dropped, with its
degraded services, as if that experiment had not run; one whose posture cannot be drawn in the
attempts is skipped, and a world left with none gets its first experiment drawn with a root that
alerts. No incident alert starts before its incident's onset. ``World.degraded`` holds every
service a fault made misbehave (root and callers, alerting or not; callers that swallowed it
gracefully are not there) with the signal kinds it showed, filled from the propagation.

**Cells** (each moves one axis from the baseline; values not named are the baseline's). The
baseline's root-first 70 % and silent 10 % sit mid-range of what the benchmarks' fault mix gives
(resource and code faults mostly show on the root, network faults mostly do not), with a 90 s
lag and 20 % noise. ``late-roots``: root-first 40 % with lags up to 5 min (a slow metrics
pipeline). ``silent-roots``: 30 % silent, the top of the range network faults suggest.
``silent-hops``: 60 % of intermediate callers missing and 30 % of services unwatched.
``caller-storm``: every incident storms (root-first 60 %: more caller series race the root's).
``noisy``: 40 % noise. ``concurrent``: 2-4 experiments 1-8 min apart. ``shared-hub``: roots on
hubs (root-first 60 %, silent 15 %: infrastructure, often watched only by exporters). One cell
per fault family with the shares its mechanism suggests: ``network-delay`` 45 % / 30 % silent,
``pod-kill`` 55 % / 15 %, ``memory-leak`` 50 % / 10 %, ``cpu-hog`` 80 % / 5 % in lab conditions
(no lag, no noise), ``bad-deploy`` 95 % / none silent with a 30 s lag and the root deployed
before 90 % of its faults.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from evalkit.classic.topologies import Topology
from evalkit.families.chaos_draft import FAMILY, Draft, Gen, Hit, secs
from evalkit.families.chaos_faults import CODE_FAULTS
from evalkit.families.chaos_noise import KINDS, WEIGHTS, noise_episode
from evalkit.world import EPOCH, AlertBook, ChangeBook, Degraded, TrueIncident, World, background_changes, note_degraded

MIXED: tuple[tuple[str, float], ...] = (
    ("cpu-hog", 0.16), ("memory-leak", 0.14), ("network-delay", 0.14), ("network-loss", 0.10), ("pod-kill", 0.10),
    ("pod-failure", 0.06), ("http-abort", 0.10), ("code-exception", 0.10), ("disk-io", 0.10),
)


@dataclass(frozen=True)
class Params:
    assumption: str
    faults: tuple[tuple[str, float], ...] = MIXED
    root_first: float = 0.7  # share of alerted roots whose first alert precedes every other of the incident
    # The per-incident lead probability, when it must differ from the share realised (root_first): a
    # root whose callers raise nothing cannot lag, and in concurrent worlds an earlier experiment
    # already owns many callers.
    draw_root_first: float | None = None
    silent: float = 0.1  # share of incidents whose root raises none of their alerts
    noise: float = 0.2  # share of the world's alerts no fault explains
    incidents: tuple[int, int] = (1, 1)
    gap_min: tuple[float, float] = (2.0, 10.0)  # minutes between consecutive onsets
    lag_max_s: float = 90.0  # per-service detection lag, uniform 0..this
    hop_silence: float = 0.1  # an intermediate caller's alerts are missing (unwatched for this)
    unmonitored: float = 0.12  # application services with no rule at all
    storm: float = 0.2  # per incident: entry points alert per route, callers per pod
    hub_roots: float = 0.0  # share of roots drawn from shared hubs
    root_deploy: float = 0.0  # a code fault's root deployed minutes before it
    decoy_deploy: float = 0.15  # a reached service deployed minutes before the onset
    changes: tuple[int, int] = (3, 6)  # innocent changes per world


CELLS: dict[str, Params] = {
    "baseline": Params("mixed faults, root first ~70 %, 10 % silent roots, lag <= 90 s, 20 % noise"),
    "late-roots": Params("roots' rules slower than callers': root first ~40 %, detection lag up to 5 min",
                         root_first=0.4, lag_max_s=300),
    "silent-roots": Params("30 % of roots raise nothing (unwatched or blind to the fault); root first ~65 %",
                           root_first=0.65, silent=0.3),
    "silent-hops": Params("60 % of intermediate callers and 30 % of services unwatched: gaps in the chain",
                          hop_silence=0.6, unmonitored=0.3),
    "caller-storm": Params("every incident storms: entry points per route, callers per pod; root first ~60 %",
                           root_first=0.6, storm=1.0),
    "noisy": Params("40 % of alerts are noise (chronic, flapping, restarts, load tests, rollouts)", noise=0.4),
    "concurrent": Params("2-4 concurrent experiments 1-8 min apart, the first to reach a service owns it; "
                         "root first ~70 %", incidents=(2, 4), gap_min=(1.0, 8.0), draw_root_first=0.66),
    "shared-hub": Params("faults on shared hubs (datastore, broker, config, auth): root first ~60 %, 15 % silent",
                         root_first=0.6, silent=0.15, hub_roots=1.0),
    "network-delay": Params("network delay (70 %) and loss: root first ~45 %, 30 % of roots silent",
                            faults=(("network-delay", 0.7), ("network-loss", 0.3)), root_first=0.45, silent=0.3),
    "pod-kill": Params("pod kill (70 %) and pod failure: short sharp errors; root first ~55 %, 15 % silent",
                       faults=(("pod-kill", 0.7), ("pod-failure", 0.3)), root_first=0.55, silent=0.15, noise=0.15),
    "memory-leak": Params("memory leaks ramping to OOM kills and crash loops: root first ~50 %, 10 % noise",
                          faults=(("memory-leak", 1.0),), root_first=0.5, noise=0.1),
    "cpu-hog": Params("cpu stress in lab conditions: root first ~80 %, 5 % silent, no lag, no noise",
                      faults=(("cpu-hog", 1.0),), root_first=0.8, silent=0.05, noise=0.0, lag_max_s=0.0),
    "bad-deploy": Params("http aborts and exceptions after a root deploy (90 %): root first ~95 %, none silent",
                         faults=(("code-exception", 0.6), ("http-abort", 0.4)), root_first=0.95, silent=0.0,
                         noise=0.1, lag_max_s=30, root_deploy=0.9),
}


def generate(topology: Topology, seed: int, params: Params, cell: str = "") -> World:
    wr = random.Random(f"{FAMILY}|{seed}|world")
    n_inc = wr.randint(*params.incidents)
    onsets = [wr.uniform(45, 75) * 60]
    for _ in range(n_inc - 1):
        onsets.append(onsets[-1] + wr.uniform(*params.gap_min) * 60)
    now_s = onsets[-1] + wr.uniform(25, 40) * 60
    now = EPOCH + secs(now_s)
    gen = Gen(topology, seed, params, now_s)

    drafts: list[Draft] = []
    claimed: dict[str, float] = {}
    for k, onset in enumerate(onsets):
        d = gen.draft(k, onset, claimed)
        if d is not None:
            drafts.append(d)
            gen.roots.add(d.fault.root)
            for name, when in [(d.fault.root, d.fault.onset), *((n, r.arrival) for n, r in d.reached.items())]:
                claimed[name] = min(when, claimed.get(name, when))
    if not drafts:  # every experiment's root was silent with no caller alerting: the first one is not
        d = gen.draft(0, onsets[0], {}, loud=True)
        if d is None:
            raise RuntimeError(f"chaos_bench: no incident could be drawn on {topology.name} (seed {seed})")
        drafts.append(d)

    book, owned, drafts = _record(drafts, gen, now_s)
    if not drafts:  # every alert went to an experiment that then had none of its own: start over, one loud
        d = gen.draft(0, onsets[0], {}, loud=True)
        if d is None:
            raise RuntimeError(f"chaos_bench: no incident could be drawn on {topology.name} (seed {seed})")
        book, owned, drafts = _record([d], gen, now_s)

    by_fp = {a.fingerprint: a for a in book.alerts}
    incidents: list[TrueIncident] = []
    degraded: Degraded = {}
    for d in drafts:
        f = d.fault
        fps = frozenset(owned[d.k])
        incidents.append(TrueIncident(
            id=f"exp-{d.k + 1}", root=f.root, fingerprints=fps, onset=EPOCH + secs(f.onset),
            root_silent=not any(by_fp[fp].service == f.root for fp in fps), cause=f.kind,
        ))
        note_degraded(degraded, f.root, EPOCH + secs(f.onset), {s.kind for s in f.root_signals + f.outward})
        for name, r in d.reached.items():
            note_degraded(degraded, name, EPOCH + secs(r.arrival), {s.kind for s in r.signals})

    changes, deploys = _changes(gen, seed, drafts, now_s)
    noise = _noise(gen, seed, book, sum(len(v) for v in owned.values()), now_s, deploys)
    alerts = sorted(book.alerts, key=lambda a: (a.starts_at, a.fingerprint))
    return World(
        family=FAMILY, cell=cell, topology=topology.name, seed=seed, services=tuple(topology.services),
        edges=tuple(topology.edges), alerts=alerts, changes=sorted(changes.changes, key=lambda c: (c.at, c.id)),
        incidents=incidents, noise=frozenset(noise), now=now, degraded=degraded,
    )


def _record(drafts: list[Draft], gen: Gen, now_s: float) -> tuple[AlertBook, dict[int, set[str]], list[Draft]]:
    """Record the experiments' alerts: who reached a service first owns its alerts (a root is
    reached by its own fault at onset, and its own alerts are always its own). Returns the book,
    each experiment's fingerprints, and the experiments left with at least one alert."""
    first: dict[str, tuple[float, int]] = {}
    for d in drafts:
        for name, when in [(d.fault.root, d.fault.onset), *((n, r.arrival) for n, r in d.reached.items())]:
            if name not in first or (when, d.k) < first[name]:
                first[name] = (when, d.k)
    book = AlertBook(EPOCH + secs(now_s))
    owned: dict[int, set[str]] = {d.k: set() for d in drafts}
    queue: list[tuple[int, float, int, Hit]] = []
    for d in drafts:
        queue += [(0, h.start, d.k, h) for h in d.own]
        queue += [(1, h.start, d.k, h) for name, hs in d.calls.items() if first[name][1] == d.k for h in hs]
    for _, start, k, hit in sorted(queue, key=lambda q: (q[0], q[1], q[2])):
        if start >= now_s:
            continue
        lab, _, end, summary, desc = hit.series(gen.estate)
        fp = book.add(lab, EPOCH + secs(start), summary=summary, description=desc,
                      ends_at=None if end is None else EPOCH + secs(end))
        if fp:
            owned[k].add(fp)
    return book, owned, [d for d in drafts if owned[d.k]]


def _changes(gen: Gen, seed: int, drafts: list[Draft], now_s: float) -> tuple[ChangeBook, list[tuple[str, float]]]:
    """The world's changes, and the innocent deploys among them (where rollout noise may follow)."""
    p, g = gen.params, gen.g
    rng = random.Random(f"{FAMILY}|{seed}|changes")
    book = ChangeBook(rng)
    pool = [n for n in g.names if not g.is_loadgen(n)]
    background_changes(book, pool, EPOCH, EPOCH + secs(now_s), rng.randint(*p.changes))
    deploys = [(c.service, (c.at - EPOCH).total_seconds())
               for c in book.changes if c.kind == "deployment" and c.service]
    for d in drafts:
        f = d.fault
        if f.kind in CODE_FAULTS and rng.random() < p.root_deploy:
            book.add(f.root, "deployment", EPOCH + secs(f.onset - rng.uniform(1, 12) * 60))
        if rng.random() < p.decoy_deploy:
            others = sorted(d.reached) or [n for n in pool if n != f.root]
            book.add(rng.choice(others), "deployment", EPOCH + secs(f.onset - rng.uniform(1, 15) * 60))
    return book, deploys


def _noise(gen: Gen, seed: int, book: AlertBook, n_incident: int, now_s: float,
           deploys: list[tuple[str, float]]) -> set[str]:
    share = gen.params.noise
    rng = random.Random(f"{FAMILY}|{seed}|noise")
    want = n_incident * share / (1 - share) if share < 1 else 0.0
    target = int(want) + (rng.random() < want - int(want))
    out: set[str] = set()
    tries = 0
    while len(out) < target and tries < 4 * target + 10:
        tries += 1
        kind = rng.choices(KINDS, WEIGHTS)[0]
        for lab, start, end, summary, desc in noise_episode(kind, gen.estate, gen.g, rng, now_s, deploys):
            if len(out) >= target:
                break
            if start >= now_s or book.taken(lab):
                continue
            fp = book.add(lab, EPOCH + secs(start), summary=summary, description=desc,
                          ends_at=None if end is None else EPOCH + secs(end))
            if fp:
                out.add(fp)
    return out
