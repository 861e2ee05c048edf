"""Family B — "metric rules": alerts as Prometheus alerting rules over degrading metrics.

Assumptions (each one a knob of :class:`Params`, swept by :data:`CELLS`):

* A fault at the root degrades some of its metrics (errors, latency, saturation, absent traffic).
  The degradation travels up the call graph: a caller is affected with a probability that
  depends on the edge (synchronous calls carry errors and latency; calls to a message broker
  carry only consumer lag or publish errors), after a per-hop delay (seconds for sync calls,
  minutes for async ones). Errors propagate further than latency (latency attenuates per hop),
  a callee's latency turns into timeouts on the caller (and sometimes into saturation: workers
  blocked waiting), a callee's saturation into latency.
* Every service has its own rule set, evaluated every 30 s or 60 s, each rule with a ``for:``
  of 0-10 min: entry points have many rules, ordinary services a few (10 % none), datastores
  only saturation/slow-query/replication rules (20 % none), shared infrastructure (flags,
  brokers, config stores, mesh, auth) is unmonitored half of the time. A rule fires when its
  signal reaches the service, after a ramp (threshold crossing), the detection lag of the
  pipeline (uniform 0..``lag_max_s``) and its ``for:``, on the evaluation grid.
* Whether the root alerts at all (``silent_root``) and whether its first alert precedes every
  other alert of the incident (``root_first``, among non-silent roots) are drawn per incident and
  realised exactly: the natural timings are kept and only shifted as a block when they disagree
  (a caller's fast timeout rule beating the root's slow-burn saturation rule is the usual case).
* Intermediate services may stay silent while their callers alert (``silent_hop``).
* Entry points under ``storms`` alert many alertnames, per route and per pod, repeatedly.
* Noise is an exact share of all alerts: unrelated alerts anywhere (some resolved), flapping
  alerts on one service across pods, chronic warnings on shared hubs that are not the root,
  node-level alerts labelled only by ``job``/``instance``.
* Changes: innocent deploys/config changes/flag flips spread over hours, an innocent deploy on
  an affected caller minutes before onset (``innocent_caller_deploy``), and a causal deploy or
  config change on the root 0-15 min before onset (``causal_change``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from evalkit.classic.topologies import Topology
from evalkit.world import (
    EPOCH,
    AlertBook,
    ChangeBook,
    Degraded,
    Graph,
    TrueIncident,
    World,
    align,
    background_changes,
    claim,
    note_degraded,
    pod_suffix,
    replicaset_hash,
)

FAMILY = "metric_rules"


@dataclass(frozen=True)
class Params:
    assumption: str
    root_first: float = 0.7  # P(root's first alert precedes all others | root alerts)
    silent_root: float = 0.0  # P(root raises no alert)
    silent_hop: float = 0.1  # P(an affected intermediate service raises no alert)
    lag_max_s: int = 60  # detection lag (scrape + evaluation + delivery), uniform 0..this
    storms: bool = True  # entry points alert many alertnames per route/pod, repeatedly
    noise_share: float = 0.2  # share of all alerts that belong to no incident
    incidents: int = 1
    overlap: bool = True  # onsets within minutes of each other (else 30-90 min apart)
    placement: str = "mixed"  # store | mid | hub | mixed
    causal_change: float = 0.4  # P(a deploy/config change on the root 0-15 min before onset)
    innocent_caller_deploy: float = 0.3  # P(an innocent deploy on an affected caller just before)


CELLS: dict[str, Params] = {
    "baseline": Params("root first 70 %, no silent roots, 20 % noise, one incident, mixed placement"),
    "root-first-40": Params("root's first alert precedes the callers' in only 40 % of incidents", root_first=0.4),
    "root-first-95": Params("root's first alert precedes the callers' in 95 % of incidents", root_first=0.95),
    "silent-15": Params("15 % of roots raise no alert", silent_root=0.15),
    "silent-30": Params("30 % of roots raise no alert", silent_root=0.30),
    "silent-hops": Params("40 % of affected intermediate services stay silent", silent_hop=0.4),
    "lag-5m": Params("detection lag up to 5 min per rule", lag_max_s=300),
    "no-storms": Params("entry points alert like any other service (no storms)", storms=False),
    "noise-0": Params("no noise alerts", noise_share=0.0),
    "noise-40": Params("40 % of all alerts are noise", noise_share=0.4),
    "concurrent-2": Params("two incidents with onsets within 8 min", incidents=2),
    "concurrent-4": Params("four incidents with onsets within 8 min", incidents=4),
    "concurrent-4-spread": Params("four incidents 30-90 min apart", incidents=4, overlap=False),
    "root-store": Params("every root is a datastore", placement="store"),
    "root-mid": Params("every root is a mid-tier service", placement="mid"),
    "root-hub": Params("every root is shared infrastructure with many dependents", placement="hub"),
    "hard": Params(
        "root first 40 %, 30 % silent roots, 40 % noise, 4 overlapping incidents, 5 min lag, silent hops",
        root_first=0.4, silent_root=0.3, silent_hop=0.3, lag_max_s=300, noise_share=0.4, incidents=4,
    ),
}


# ---------------------------------------------------------------------------------------------
# Rules


@dataclass(frozen=True)
class Rule:
    alertname: str
    signal: str  # errors | timeouts | latency | saturation | lag | absent
    for_s: int
    severity: str
    summary: str  # formatted with {svc}
    per_pod: bool = False


# (alertname, signal, for: range in seconds, severity, summary, per pod)
_APP = [
    ("HighErrorRate", "errors", (60, 300), "critical", "{svc}: error ratio above 5%", False),
    ("HTTP5xxRatioHigh", "errors", (120, 300), "warning", "{svc}: 5xx responses above threshold", False),
    ("GRPCServerErrorsHigh", "errors", (0, 120), "warning", "{svc}: gRPC server errors", False),
    ("HighLatencyP99", "latency", (300, 600), "warning", "{svc}: p99 latency above objective", False),
    ("LatencySLOBurnRate", "latency", (120, 300), "critical", "{svc}: latency SLO burning fast", False),
    ("UpstreamTimeouts", "timeouts", (0, 60), "warning", "{svc}: outbound requests timing out", False),
    ("CPUThrottlingHigh", "saturation", (300, 600), "warning", "{svc}: CPU throttled", True),
    ("ThreadPoolExhausted", "saturation", (60, 300), "warning", "{svc}: worker pool exhausted", True),
    ("ContainerMemoryNearLimit", "saturation", (300, 600), "warning", "{svc}: memory near limit", True),
    ("PodCrashLooping", "absent", (300, 600), "warning", "{svc}: pod restarting repeatedly", True),
    ("TrafficAbsent", "absent", (300, 600), "critical", "{svc}: no requests served", False),
    ("ConsumerLagHigh", "lag", (300, 600), "warning", "{svc}: consumer lag growing", False),
]
_STORE = [
    ("DBConnectionsSaturated", "saturation", (300, 600), "critical", "{svc}: connections near max", False),
    ("DBSlowQueries", "latency", (300, 600), "warning", "{svc}: slow queries rising", False),
    ("DBReplicationLag", "lag", (120, 600), "warning", "{svc}: replica lag", True),
    ("DiskIOSaturated", "saturation", (300, 600), "warning", "{svc}: disk IO saturated", True),
    ("CacheEvictionsHigh", "saturation", (120, 300), "info", "{svc}: evictions high", False),
    ("DatastoreDown", "absent", (60, 120), "critical", "{svc}: exporter reports down", True),
]
_INFRA_RULES = {
    "broker": [
        ("KafkaUnderReplicatedPartitions", "saturation", (300, 600), "warning", "{svc}: under-replicated partitions",
         True),
        ("BrokerRequestLatencyHigh", "latency", (120, 300), "warning", "{svc}: produce latency high", False),
        ("ConsumerGroupLagHigh", "lag", (300, 600), "warning", "{svc}: consumer group lag", False),
    ],
    "auth": [
        ("TokenIssueErrors", "errors", (60, 180), "critical", "{svc}: token requests failing", False),
        ("AuthLatencyHigh", "latency", (120, 300), "warning", "{svc}: token latency high", False),
    ],
    "flags": [("FlagEvaluationErrors", "errors", (60, 300), "warning", "{svc}: evaluation errors", False)],
    "config": [("ConfigStoreLatencyHigh", "latency", (120, 300), "warning", "{svc}: read latency high", False)],
    "mesh": [
        ("EnvoyUpstream5xx", "errors", (60, 180), "warning", "{svc}: upstream 5xx", False),
        ("SidecarCPUSaturated", "saturation", (300, 600), "warning", "{svc}: sidecar CPU saturated", True),
    ],
}
_ENTRY_RULES = [
    ("FrontendHTTP5xx", "errors", (60, 120), "critical", "{svc}: 5xx ratio above 2%", False),
    ("SLOErrorBudgetBurnFast", "errors", (120, 120), "critical", "{svc}: error budget burning fast", False),
    ("SLOErrorBudgetBurnSlow", "errors", (600, 600), "warning", "{svc}: error budget burning", False),
    ("FrontendLatencyP95", "latency", (120, 300), "warning", "{svc}: p95 latency above 1s", False),
    ("ApdexLow", "latency", (300, 300), "warning", "{svc}: apdex below 0.8", False),
    ("UpstreamTimeouts", "timeouts", (0, 60), "warning", "{svc}: outbound requests timing out", False),
    ("RequestRateDrop", "absent", (300, 300), "warning", "{svc}: request rate dropped", False),
]
_ROUTES = ("/", "/api/cart", "/api/checkout", "/api/products", "/api/search", "/api/account", "/api/orders",
           "/static", "/api/recommendations", "/api/shipping")

# Ramp: seconds from "the service is affected" to "the metric crosses the threshold".
_RAMP = {"errors": (0, 30), "timeouts": (0, 20), "latency": (20, 120), "saturation": (60, 480),
         "lag": (60, 300), "absent": (0, 60)}

_CAUSES = {
    "store": [("db saturation", {"saturation", "latency"}), ("connection pool exhaustion", {"saturation", "errors"}),
              ("disk full", {"saturation", "errors"}), ("replication stall", {"lag", "latency"}),
              ("datastore crash", {"absent", "errors"})],
    "hub": [("broker partition leader loss", {"errors", "latency"}), ("auth outage", {"errors"}),
            ("config store latency", {"latency", "saturation"}), ("flag service crash", {"absent", "errors"}),
            ("mesh misconfiguration", {"errors"})],
    "mid": [("memory leak", {"saturation", "latency"}),
            ("thread pool exhaustion", {"saturation", "timeouts", "latency"}),
            ("cpu throttling", {"saturation", "latency"}), ("crash loop", {"absent", "errors"}),
            ("downstream timeout misconfig", {"errors", "timeouts"})],
}


@dataclass
class Service_:
    name: str
    rules: list[Rule]
    label_key: str  # service | app | job
    namespace: str
    rs: str  # replicaset hash for pod names
    eval_s: int  # rule evaluation interval
    pods: list[str] = field(default_factory=list)
    by_pod: bool = False  # the team's rules aggregate per pod (`sum by (pod)`), so every alert names one


def _rule(rng: random.Random, t: tuple[str, str, tuple[int, int], str, str, bool]) -> Rule:
    name, signal, (lo, hi), sev, summary, per_pod = t
    return Rule(name, signal, rng.randrange(lo, hi + 1, 30) if hi > lo else lo, sev, summary, per_pod)


def _rulesets(g: Graph, rng: random.Random, entries: set[str]) -> dict[str, Service_]:
    namespaces = ("shop", "payments", "platform", "data", "identity", "catalog", "fulfilment")
    out: dict[str, Service_] = {}
    for n in g.names:
        kind = g.kind(n)
        if n in entries:
            templates = list(_ENTRY_RULES)
            chosen = rng.sample(templates, rng.randint(4, len(templates)))
        elif g.is_store(n):
            chosen = [] if rng.random() < 0.2 else rng.sample(_STORE, rng.randint(1, 3))
        elif kind and len(g.callers[n]) >= 2:
            pool = _INFRA_RULES[kind]
            chosen = [] if rng.random() < 0.5 else rng.sample(pool, rng.randint(1, len(pool)))
        elif g.is_loadgen(n):
            chosen = []
        else:
            chosen = [] if rng.random() < 0.1 else rng.sample(_APP, rng.randint(2, 6))
            if any(g.is_async(n, d) for d in g.callees[n]) and rng.random() < 0.7:
                chosen.append(_APP[-1])
        rules = [_rule(rng, t) for t in dict.fromkeys(chosen)]
        label_key = rng.choices(("service", "job", "app"), (0.85, 0.08, 0.07))[0]
        pods = [f"{n}-{i}" for i in range(rng.randint(1, 3))] if g.is_store(n) else []
        rs = replicaset_hash(rng)
        if not pods:
            pods = [f"{n}-{rs}-{pod_suffix(rng)}" for _ in range(rng.randint(2, 4))]
        out[n] = Service_(n, rules, label_key, rng.choice(namespaces), rs, rng.choice((30, 60)), pods,
                          rng.random() < 0.35)
    return out


def _labels(s: Service_, rule: Rule, rng: random.Random, pod: str | None = None) -> dict[str, str]:
    labels = {"alertname": rule.alertname, s.label_key: s.name, "severity": rule.severity, "namespace": s.namespace}
    if rule.per_pod or s.by_pod or pod:
        labels["pod"] = pod or rng.choice(s.pods)
    return labels


# ---------------------------------------------------------------------------------------------
# Propagation


def _spread(g: Graph, root: str, signals: set[str], rng: random.Random) -> dict[str, tuple[float, set[str], int]]:
    """service -> (seconds after onset it is affected, signals it shows, hops from the root)."""
    affected: dict[str, tuple[float, set[str], int]] = {root: (0.0, set(signals), 0)}
    frontier = [root]
    while frontier:
        nxt: list[str] = []
        for callee in frontier:
            t0, sig, depth = affected[callee]
            if depth >= 8:
                continue
            for caller in g.callers[callee]:
                if caller == root or g.is_loadgen(caller):
                    continue
                got: set[str] = set()
                if g.is_async(caller, callee):
                    if rng.random() < 0.6:
                        got.add("lag")
                    if sig & {"errors", "absent"} and rng.random() < 0.3:
                        got.add("errors")
                    delay = rng.uniform(60, 300)
                else:
                    failing = bool(sig & {"errors", "absent", "timeouts"})
                    if failing and rng.random() < 0.85 * 0.92**depth:
                        got.add("errors")
                    slow = "latency" in sig or ("saturation" in sig and depth == 0)
                    if slow and rng.random() < 0.65 * 0.6**depth:
                        got.add("latency")
                    if slow and rng.random() < 0.45:
                        got.add("timeouts")
                    if slow and rng.random() < 0.25:
                        got.add("saturation")  # workers blocked waiting on the slow callee
                    if "absent" in sig and depth == 0 and rng.random() < 0.5:
                        got.add("timeouts")
                    delay = rng.uniform(5, 45)
                if not got:
                    continue
                t = t0 + delay
                if caller in affected:
                    tc, sc, dc = affected[caller]
                    affected[caller] = (min(tc, t), sc | got, min(dc, depth + 1))
                    continue
                affected[caller] = (t, got, depth + 1)
                nxt.append(caller)
        frontier = nxt
    return affected


def _pick_root(g: Graph, placement: str, rng: random.Random, taken: set[str]) -> tuple[str, str]:
    pools = {"store": g.stores, "hub": g.hubs, "mid": g.mids}
    entries = g.entry_set
    fallback = [n for n in g.names if g.callers[n] and not g.is_loadgen(n) and n not in entries]
    fallback = fallback or [n for n in g.names if g.callers[n]] or list(g.names)
    kind = placement
    if placement == "mixed":
        kind = rng.choices(("store", "mid", "hub"), (0.35, 0.45, 0.2))[0]
    for k in (kind, "mid", "store", "hub"):
        pool = [n for n in pools[k] if n not in taken]
        if pool:
            return rng.choice(pool), k
    pool = [n for n in fallback if n not in taken] or fallback
    return rng.choice(pool), "mid"


# ---------------------------------------------------------------------------------------------
# Generation


def generate(topology: Topology, seed: int, params: Params, cell: str = "") -> World:
    rng = random.Random(seed)
    g = Graph.of(topology)
    entries = g.entry_set
    svcs = _rulesets(g, rng, set(entries))
    first_onset = EPOCH + timedelta(seconds=rng.randrange(0, 6 * 3600, 7))
    horizon = first_onset + timedelta(hours=6)  # the snapshot is taken well before this
    book = AlertBook(horizon)
    changes = ChangeBook(rng)

    onsets = [first_onset]
    for _ in range(params.incidents - 1):
        if params.overlap:
            onsets.append(first_onset + timedelta(seconds=rng.uniform(0, 480)))
        else:
            onsets.append(onsets[-1] + timedelta(seconds=rng.uniform(1800, 5400)))
    onsets.sort()

    taken: set[str] = set()
    incidents: list[TrueIncident] = []
    degraded: Degraded = {}
    pending: list[tuple[str, str, datetime, bool, str, list[Series]]] = []
    for i, onset in enumerate(onsets):
        root, where = _pick_root(g, params.placement, rng, taken)
        taken.add(root)
        silent = rng.random() < params.silent_root
        wants_first = rng.random() < params.root_first
        causal = rng.random() < params.causal_change
        if causal:
            cause, signals = rng.choice([("bad deploy", {"errors"}), ("bad deploy", {"errors", "latency"}),
                                         ("bad config change", {"errors", "timeouts"}),
                                         ("bad deploy", {"saturation", "latency"})])
            kind = "config" if "config" in cause else "deployment"
            changes.add(root, kind, onset - timedelta(seconds=rng.uniform(0, 900)))
        else:
            cause, sig = rng.choice(_CAUSES[where])
            signals = set(sig)
        affected = _spread(g, root, signals, rng)
        for name, (t_aff, sig, _) in affected.items():
            note_degraded(degraded, name, onset + timedelta(seconds=t_aff), sig)
        series = _incident_alerts(g, svcs, rng, params, root, onset, affected, silent, wants_first, entries)
        if params.innocent_caller_deploy and rng.random() < params.innocent_caller_deploy:
            callers = sorted(n for n in affected if n != root)
            if callers:
                changes.add(rng.choice(callers), "deployment", onset - timedelta(seconds=rng.uniform(30, 600)))
        pending.append((f"inc-{i + 1}", root, onset, silent, cause, series))

    last = max(t for *_, series in pending for _, t, _, _ in series) if any(p[-1] for p in pending) else onsets[-1]
    now = max(last + timedelta(seconds=rng.uniform(60, 600)), onsets[-1] + timedelta(minutes=20))
    book.now = now
    owned = claim(book, [p[-1] for p in pending], [p[1] for p in pending], rng, _service_of)
    for k, (iid, root, onset, silent, cause, _) in enumerate(pending):
        incidents.append(TrueIncident(iid, root, frozenset(owned[k]), onset, silent, cause))

    incident_alerts = len(book.alerts)
    noise = _noise(g, svcs, rng, book, params, incident_alerts, first_onset, now, taken)
    background_changes(changes, [n for n in g.names if not g.is_loadgen(n)], first_onset - timedelta(hours=4), now,
                       max(4, len(g.names) // 6))
    changes.changes.sort(key=lambda c: c.at)
    alerts = sorted(book.alerts, key=lambda a: (a.starts_at, a.fingerprint))
    return World(FAMILY, cell, topology.name, seed, topology.services, topology.edges, alerts, changes.changes,
                 incidents, frozenset(noise), now, degraded)


Series = tuple[dict[str, str], datetime, datetime | None, str]


def _service_of(labels: Mapping[str, str]) -> str:
    return labels.get("service") or labels.get("app") or labels.get("job") or ""


def _incident_alerts(
    g: Graph, svcs: dict[str, Service_], rng: random.Random, params: Params, root: str, onset: datetime,
    affected: dict[str, tuple[float, set[str], int]], silent: bool, wants_first: bool, entries: frozenset[str],
) -> list[Series]:
    def fire(name: str, rule: Rule, t_aff: float, pod: str | None = None, extra: float = 0.0) -> Series:
        s = svcs[name]
        ramp = rng.uniform(*_RAMP[rule.signal])
        if name == root and rule.signal == "saturation":
            ramp += rng.uniform(60, 300)  # slow burn: saturation builds before it crosses
        t = onset + timedelta(seconds=t_aff + ramp + rng.uniform(0, params.lag_max_s) + rule.for_s + extra)
        t = align(t, EPOCH, s.eval_s)
        ends = None
        if name != root and rng.random() < 0.2:
            ends = t + timedelta(seconds=rng.uniform(120, 900))
        return _labels(s, rule, rng, pod), t, ends, rule.summary

    root_series: list[Series] = []
    others: list[Series] = []
    for name, (t_aff, sig, _) in sorted(affected.items()):
        s = svcs[name]
        if name == root:
            if silent:
                continue
            rules = [r for r in s.rules if r.signal in sig]
            if not rules:  # the root alerts: give it the rule its kind would most likely have
                fallback = _STORE[0] if g.is_store(name) else _APP[0] if sig & {"errors", "timeouts"} else _APP[3]
                if "absent" in sig and not g.is_store(name):
                    fallback = _APP[10]
                rules = [_rule(rng, fallback)]
            fired = [fire(name, r, t_aff) for r in rules if rng.random() < 0.85]
            root_series += fired or [fire(name, rules[0], t_aff)]
            continue
        if name not in entries and rng.random() < params.silent_hop:
            continue
        matching = [r for r in s.rules if r.signal in sig]
        if name in entries and params.storms and matching:
            for r in matching:
                for _ in range(rng.randint(2, 5)):
                    labels_route = rng.choice(_ROUTES)
                    series = fire(name, r, t_aff, extra=rng.uniform(0, 240))
                    series[0]["route"] = labels_route
                    others.append(series)
            continue
        if name in entries:
            matching = matching[:2]
        others += [fire(name, r, t_aff) for r in matching if rng.random() < 0.8]

    if not root_series and not others:  # an incident nobody noticed is not in an alert set: one caller notices
        others.append(_forced_caller(g, svcs, rng, root, onset, affected, onset + timedelta(hours=1)))
    if not silent and root_series:
        r0 = min(t for _, t, _, _ in root_series)
        if not others and not wants_first:
            others.append(_forced_caller(g, svcs, rng, root, onset, affected, r0))
        if others:
            o0 = min(t for _, t, _, _ in others)
            if wants_first and o0 <= r0:
                shift = _minutes_up(r0 - o0 + timedelta(seconds=rng.uniform(30, 120)))
                others = [(lab, t + shift, e + shift if e else None, s) for lab, t, e, s in others]
            elif not wants_first and r0 <= o0:
                shift = _minutes_up(o0 - r0 + timedelta(seconds=rng.uniform(30, 240)))
                root_series = [(lab, t + shift, e + shift if e else None, s) for lab, t, e, s in root_series]
    return root_series + others


def _forced_caller(
    g: Graph, svcs: dict[str, Service_], rng: random.Random, root: str, onset: datetime,
    affected: dict[str, tuple[float, set[str], int]], r0: datetime,
) -> Series:
    """A caller's fast timeout alert: the case where the callers notice before the root does."""
    callers = sorted(g.callers[root], key=lambda c: (c not in affected, g.is_loadgen(c), c))
    name = callers[0] if callers else rng.choice([n for n in g.names if n != root])
    s = svcs[name]
    rule = Rule("UpstreamTimeouts", "timeouts", 0, "warning", "{svc}: outbound requests timing out")
    t = onset + timedelta(seconds=rng.uniform(10, 90))
    return _labels(s, rule, rng), align(min(t, r0), EPOCH, s.eval_s), None, rule.summary


def _minutes_up(d: timedelta) -> timedelta:
    return timedelta(seconds=60 * -(-d.total_seconds() // 60))


# ---------------------------------------------------------------------------------------------
# Noise


_NODE = [("NodeFilesystemSpaceFillingUp", "warning", "Filesystem on {svc} is predicted to run out of space"),
         ("NodeClockSkewDetected", "warning", "Clock skew detected on {svc}"),
         ("NodeMemoryHighUtilization", "warning", "Node {svc} memory above 90%")]
_CHRONIC = [("KafkaUnderReplicatedPartitions", "warning", "{svc}: under-replicated partitions"),
            ("CertificateExpiringSoon", "warning", "{svc}: TLS certificate expires in < 14 days"),
            ("PersistentVolumeFillingUp", "warning", "{svc}: volume 85% full"),
            ("HighGCPauseTime", "info", "{svc}: GC pauses above 200ms")]


def _noise(
    g: Graph, svcs: dict[str, Service_], rng: random.Random, book: AlertBook, params: Params, incident_alerts: int,
    first_onset: datetime, now: datetime, roots: set[str],
) -> set[str]:
    share = params.noise_share
    want = round(incident_alerts * share / (1 - share)) if share < 1 else 0
    out: set[str] = set()
    start = first_onset - timedelta(hours=3)
    span = (now - start).total_seconds()
    names = [n for n in g.names if not g.is_loadgen(n)]
    hubs = [h for h in g.hubs if h not in roots] or [n for n in names if n not in roots]
    chronic_left = min(3, max(1, want // 6))
    attempts = 0
    while len(out) < want and attempts < want * 20 + 50:
        attempts += 1
        kind = rng.choices(("random", "flap", "chronic", "node"), (0.55, 0.2, 0.1, 0.15))[0]
        if kind == "chronic" and chronic_left > 0 and hubs:
            chronic_left -= 1
            svc = svcs[rng.choice(hubs)]
            name, sev, summary = rng.choice(_CHRONIC)
            labels = {"alertname": name, svc.label_key: svc.name, "severity": sev, "namespace": svc.namespace}
            t = now - timedelta(seconds=rng.uniform(86400, 4 * 86400))
            fp = book.add(labels, t, summary=summary.format(svc=svc.name))
            if fp:
                out.add(fp)
        elif kind == "node":
            name, sev, summary = rng.choice(_NODE)
            inst = f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}:9100"
            labels = {"alertname": name, "job": "node-exporter", "instance": inst, "severity": sev}
            t = start + timedelta(seconds=rng.uniform(0, span))
            ends = t + timedelta(seconds=rng.uniform(300, 3600)) if rng.random() < 0.4 else None
            fp = book.add(labels, t, summary=summary.format(svc=inst), ends_at=ends)
            if fp:
                out.add(fp)
        elif kind == "flap":
            svc = svcs[rng.choice(names)]
            rule = rng.choice(svc.rules) if svc.rules else _rule(rng, rng.choice(_APP))
            t = start + timedelta(seconds=rng.uniform(0, span))
            for _ in range(rng.randint(2, 4)):
                if len(out) >= want:
                    break
                labels = _labels(svc, rule, rng, pod=f"{svc.name}-{svc.rs}-{pod_suffix(rng)}")
                fp = book.add(labels, t, summary=rule.summary.format(svc=svc.name),
                              ends_at=t + timedelta(seconds=rng.uniform(60, 240)))
                if fp:
                    out.add(fp)
                t += timedelta(seconds=rng.uniform(300, 900))
        else:
            svc = svcs[rng.choice(names)]
            rule = rng.choice(svc.rules) if svc.rules and rng.random() < 0.8 else _rule(rng, rng.choice(_APP))
            t = start + timedelta(seconds=rng.uniform(0, span))
            ends = t + timedelta(seconds=rng.uniform(120, 1800)) if rng.random() < 0.4 else None
            labels = _labels(svc, rule, rng)
            if rng.random() < 0.3:
                labels["pod"] = f"{svc.name}-{svc.rs}-{pod_suffix(rng)}"
            fp = book.add(labels, t, summary=rule.summary.format(svc=svc.name), ends_at=ends)
            if fp:
                out.add(fp)
    return out
