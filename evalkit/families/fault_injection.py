"""Family C — "fault-injection runs": what chaos experiments on a microservice demo record.

Modelled on runs against the OpenTelemetry demo (``evalkit/topologies/otel_demo.json``), whose
failures are switched on by feature flags served by flagd, but usable on any topology (targets
are then chosen by role and flags named after them the way the demo names its own).

Assumptions:

* One injected fault per run (``faults=2``: a second one on another target 2-8 min later).
  A run records 10-20 min of alerts after the fault takes effect; the system is warmed up by
  the load generator for a few minutes before.
* Faults are either flag-driven (``paymentFailure``, ``adHighCpu``, ``kafkaQueueProblems`` ...): a
  change event on the *flag service* (flagd), not on the root, 5-30 s before the fault takes
  effect (unless ``flag_flip`` says the flip went unrecorded), or chaos-tool faults (pod kill of
  a datastore) with no change event at all.
* Alerting is the demo's: span-metrics RED rules on every service (``service_name`` label, one
  series per server span), Envoy rules on the frontend proxy, a few runtime rules (CPU, memory,
  GC, consumer lag, cache down). Errors surface at every synchronous caller up to the entry
  points (the demo's services pass failures through); latency attenuates.
* The first alerts are usually on callers and entry points: the root alerts first only with
  probability ``root_first`` (among runs where it alerts at all, realised exactly), raises any
  alert at all with ``root_alerts``, and when it does, often late and with only a low severity.
* A broker fault shows up as lag on its consumers (accounting, fraud-detection) and produce
  latency on the producer (checkout).
* Noise: load-generator-driven latency blips on the busiest services, alerts from the
  observability stack that the service graph does not know (otel-collector, opensearch), a
  load-generator ramp, and innocent flag flips on flagd.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
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
    claim,
    labelled_service,
    note_degraded,
    pod_suffix,
    replicaset_hash,
)

FAMILY = "fault_injection"


@dataclass(frozen=True)
class Params:
    assumption: str
    fault: str = "mixed"  # app | resource | datastore | broker | mixed
    faults: int = 1
    root_alerts: float = 0.7  # P(the root raises any alert during the run)
    root_first: float = 0.2  # P(root's first alert precedes all others | it alerts)
    root_low_severity: float = 0.6  # P(the root's alerts are all warning/info | it alerts)
    flag_flip: float = 1.0  # P(a flag-driven fault's flip is recorded as a change on the flag service)
    noise_share: float = 0.15


CELLS: dict[str, Params] = {
    "mixed": Params("any fault type, root alerts in 70 % of runs and first in 20 % of those, flag flips recorded"),
    "app-error": Params("flag-driven application errors (payment, product catalog, cart, ad failures)", fault="app"),
    "resource": Params("flag-driven CPU/memory/GC faults; root alerts in 50 %, late and low", fault="resource",
                       root_alerts=0.5, root_low_severity=0.9),
    "datastore-kill": Params("chaos pod kill of a datastore, no change event", fault="datastore", root_alerts=0.6),
    "broker-lag": Params("broker trouble: consumers lag, the broker itself alerts in 30 %", fault="broker",
                         root_alerts=0.3),
    "silent-root": Params("the root never alerts", root_alerts=0.0),
    "root-first-60": Params("root alerts first in 60 % of runs where it alerts", root_first=0.6),
    "no-flag-flip": Params("flag-driven faults whose flip was not recorded", flag_flip=0.0),
    "two-faults": Params("two faults per run, the second 2-8 min after the first", faults=2),
    "noisy-load": Params("35 % of alerts are load-generator and observability-stack noise", noise_share=0.35),
}


@dataclass(frozen=True)
class Fault:
    target: str  # OTel demo service it applies to (None-like "" for role-picked targets)
    flag: str | None  # feature flag switching it on; None for chaos-tool faults
    kind: str  # app | resource | datastore | broker
    cause: str
    signals: frozenset[str]


_OTEL_FAULTS = [
    Fault("payment", "paymentFailure", "app", "payment failures (flag)", frozenset({"errors"})),
    Fault("product-catalog", "productCatalogFailure", "app", "product catalog failures (flag)", frozenset({"errors"})),
    Fault("cart", "cartFailure", "app", "cart failures (flag)", frozenset({"errors"})),
    Fault("ad", "adFailure", "app", "ad failures (flag)", frozenset({"errors"})),
    Fault("ad", "adHighCpu", "resource", "ad high CPU (flag)", frozenset({"saturation", "latency"})),
    Fault("ad", "adManualGc", "resource", "ad full GC pauses (flag)", frozenset({"gc", "latency"})),
    Fault("recommendation", "recommendationCacheFailure", "resource", "recommendation cache leak (flag)",
          frozenset({"memory", "latency"})),
    Fault("email", "emailMemoryLeak", "resource", "email memory leak (flag)", frozenset({"memory", "latency"})),
    Fault("image-provider", "imageSlowLoad", "resource", "image provider slow (flag)", frozenset({"latency"})),
    Fault("valkey-cart", None, "datastore", "cache pod killed (chaos)", frozenset({"down", "errors"})),
    Fault("kafka", "kafkaQueueProblems", "broker", "kafka queue overload (flag)", frozenset({"lag", "latency"})),
]
_GENERIC = {
    "app": ("Failure", "{t} failures (flag)", frozenset({"errors"})),
    "resource": ("HighCpu", "{t} high CPU (flag)", frozenset({"saturation", "latency"})),
    "datastore": ("", "{t} pod killed (chaos)", frozenset({"down", "errors"})),
    "broker": ("QueueProblems", "{t} queue overload (flag)", frozenset({"lag", "latency"})),
}
_KIND_WEIGHTS = {"app": 0.45, "resource": 0.3, "datastore": 0.15, "broker": 0.1}


def _camel(name: str) -> str:
    parts = [p for p in re.split(r"[^a-z0-9]+", name.lower()) if p]
    return parts[0] + "".join(p.title() for p in parts[1:]) if parts else name


def _faults_for(g: Graph, kind: str) -> list[Fault]:
    names = set(g.names)
    known = [f for f in _OTEL_FAULTS if f.kind == kind and f.target in names and g.callers[f.target]]
    if known:
        return known
    if kind == "datastore":
        pool = list(g.stores)
    elif kind == "broker":
        pool = [n for n in g.names if g.kind(n) == "broker" and g.callers[n]] or list(g.hubs)
    else:
        pool = list(g.mids)
    pool = pool or [n for n in g.names if g.callers[n] and not g.is_loadgen(n)] or list(g.names)
    suffix, cause, sig = _GENERIC[kind]
    return [Fault(t, _camel(t) + suffix if suffix else None, kind, cause.format(t=t), sig) for t in pool]


# ---------------------------------------------------------------------------------------------
# Alert rules: span metrics on every service, Envoy on the proxy, a few runtime rules.

# (alertname, signal, for seconds, severity, summary)
_SPAN = [
    ("SpanErrorRateHigh", "errors", 60, "warning", "{svc}: span error ratio above 1%"),
    ("ServiceErrorRateCritical", "errors", 300, "critical", "{svc}: error ratio above 10%"),
    ("SpanLatencyP95High", "latency", 120, "warning", "{svc}: p95 span duration above objective"),
]
_ENVOY = [
    ("EnvoyHTTP5xxRateHigh", "errors", 60, "critical", "{svc}: 5xx responses above 5%"),
    ("EnvoyLatencyP95High", "latency", 120, "warning", "{svc}: p95 request duration above 1s"),
    ("EnvoyUpstreamTimeouts", "timeouts", 0, "warning", "{svc}: upstream request timeouts"),
]
_RUNTIME = {
    "saturation": ("ProcessCPUHigh", 300, "warning", "{svc}: CPU above 90%"),
    "memory": ("ContainerMemoryHigh", 300, "warning", "{svc}: memory above 85% of limit"),
    "gc": ("JVMGCPauseHigh", 120, "info", "{svc}: GC pauses above 500ms"),
    "down": ("CacheDown", 60, "critical", "{svc}: target down"),
    "lag": ("KafkaConsumerLagHigh", 180, "warning", "{svc}: consumer lag above 1000"),
    "crash": ("KubePodCrashLooping", 300, "warning", "{svc}: container restarting"),
}
_SPANS = ("oteldemo.{S}/Get", "oteldemo.{S}/List", "oteldemo.{S}/Handle", "GET /api/{s}", "POST /api/{s}")


def _span_names(svc: str) -> list[str]:
    S = "".join(p.title() for p in re.split(r"[^a-z0-9]+", svc) if p) + "Service"
    return [t.format(S=S, s=svc) for t in _SPANS]


@dataclass
class _Svc:
    name: str
    pods: list[str]
    spans: list[str]
    runtime: set[str]  # runtime signals it has rules for


def _services(g: Graph, rng: random.Random) -> dict[str, _Svc]:
    out: dict[str, _Svc] = {}
    for n in g.names:
        rs = replicaset_hash(rng)
        pods = [f"{n}-{rs}-{pod_suffix(rng)}" for _ in range(rng.randint(1, 2))]
        runtime = {k for k in ("saturation", "memory", "crash") if rng.random() < 0.5}
        if g.is_store(n):
            runtime |= {"down"} if rng.random() < 0.8 else set()
        if any(g.is_async(n, d) for d in g.callees[n]):
            runtime.add("lag")
        if rng.random() < 0.4:
            runtime.add("gc")
        out[n] = _Svc(n, pods, rng.sample(_span_names(n), rng.randint(1, 3)), runtime)
    return out


Series = tuple[dict[str, str], datetime, datetime | None, str]


def _span_alert(s: _Svc, rule: tuple[str, str, int, str, str], rng: random.Random) -> dict[str, str]:
    name, _, _, sev, _ = rule
    return {"alertname": name, "service_name": s.name, "span_name": rng.choice(s.spans), "severity": sev,
            "namespace": "otel-demo"}


def _runtime_alert(s: _Svc, signal: str, rng: random.Random, severity: str | None = None) -> dict[str, str]:
    name, _, sev, _ = _RUNTIME[signal]
    labels = {"alertname": name, "namespace": "otel-demo", "pod": rng.choice(s.pods), "severity": severity or sev}
    # Kubernetes-level rules label the workload, not the span-metrics service name.
    labels["app_kubernetes_io_name" if rng.random() < 0.5 else "container"] = s.name
    return labels


# ---------------------------------------------------------------------------------------------
# Generation


def generate(topology: Topology, seed: int, params: Params, cell: str = "") -> World:
    rng = random.Random(seed)
    g = Graph.of(topology)
    svcs = _services(g, rng)
    entries = g.entry_set
    start = EPOCH + timedelta(seconds=rng.randrange(0, 6 * 3600, 11))
    first = start + timedelta(seconds=rng.uniform(120, 300))  # warm-up under load
    flagsvc = next((n for n in g.names if g.kind(n) == "flags" and len(g.callers[n]) >= 2), None)
    changes = ChangeBook(rng)

    if rng.random() < 0.5:  # the run starts from a fresh deploy of the whole demo
        at = start - timedelta(seconds=rng.uniform(300, 1800))
        version = f"{rng.randint(1, 2)}.{rng.randint(0, 12)}.{rng.randint(0, 3)}"
        for n in g.names:
            changes.add(n, "deployment", at + timedelta(seconds=rng.uniform(0, 90)), f"Deploy {n} {version}")

    chosen: list[tuple[Fault, datetime]] = []
    used: set[str] = set()
    degraded: Degraded = {}
    for k in range(params.faults):
        kind = params.fault
        if kind == "mixed" or k > 0:
            kind = rng.choices(list(_KIND_WEIGHTS), list(_KIND_WEIGHTS.values()))[0]
        pool = [f for f in _faults_for(g, kind) if f.target not in used]
        for other in ("app", "resource", "datastore"):
            if not pool:
                pool = [f for f in _faults_for(g, other) if f.target not in used]
        if not pool:
            suffix, cause, sig = _GENERIC["app"]
            pool = [Fault(n, _camel(n) + suffix, "app", cause.format(t=n), sig)
                    for n in g.names if n not in used and not g.is_loadgen(n)]
        fault = rng.choice(pool)
        used.add(fault.target)
        onset = first if k == 0 else chosen[0][1] + timedelta(seconds=rng.uniform(120, 480))
        chosen.append((fault, onset))

    run_end = chosen[-1][1] + timedelta(seconds=rng.uniform(600, 1200))
    book = AlertBook(run_end)
    pending: list[tuple[Fault, datetime, bool, list[Series]]] = []
    for fault, onset in chosen:
        if fault.flag and rng.random() < params.flag_flip:
            at = onset - timedelta(seconds=rng.uniform(5, 30))
            changes.add(flagsvc, "feature-flag", at, f"flag {fault.flag}: defaultVariant off -> on")
        alerts_root = rng.random() < params.root_alerts
        series, affected = _run_alerts(g, svcs, rng, params, fault, onset, alerts_root, entries, run_end)
        pending.append((fault, onset, alerts_root, series))
        for name, (t_aff, shown) in affected.items():
            note_degraded(degraded, name, onset + timedelta(seconds=t_aff), shown)

    # Innocent flag flips: other flags toggled during the run, or switched off again.
    others = [f for f in _OTEL_FAULTS if f.flag and f.target not in used and f.target in set(g.names)]
    for _ in range(rng.choice((0, 0, 1, 2))):
        if others and flagsvc:
            f = rng.choice(others)
            at = start + timedelta(seconds=rng.uniform(0, (run_end - start).total_seconds()))
            was = rng.choice(("on", "off"))
            changes.add(flagsvc, "feature-flag", at, f"flag {f.flag}: defaultVariant {was} -> off")
    if flagsvc and rng.random() < 0.3:
        changes.add(flagsvc, "feature-flag", start + timedelta(seconds=rng.uniform(0, 60)),
                    "flag loadGeneratorFloodHomepage: defaultVariant off -> off")

    owned = claim(book, [p[3] for p in pending], [p[0].target for p in pending], rng, _svc_of)
    incidents = []
    for k, (fault, onset, _, _) in enumerate(pending):
        root_fired = any(_svc_of(a.labels) == fault.target for a in book.alerts if a.fingerprint in owned[k])
        incidents.append(TrueIncident(f"run-{k + 1}", fault.target, frozenset(owned[k]), onset,
                                      not root_fired, fault.cause))

    noise = _noise(g, svcs, rng, book, params, len(book.alerts), start, run_end)
    changes.changes.sort(key=lambda c: c.at)
    alerts = sorted(book.alerts, key=lambda a: (a.starts_at, a.fingerprint))
    return World(FAMILY, cell, topology.name, seed, topology.services, topology.edges, alerts, changes.changes,
                 incidents, frozenset(noise), run_end, degraded)


def _svc_of(labels: Mapping[str, str]) -> str:
    return labelled_service(labels) or ""


def _affected(g: Graph, fault: Fault, rng: random.Random) -> dict[str, tuple[float, set[str]]]:
    root = fault.target
    out: dict[str, tuple[float, set[str]]] = {root: (0.0, set(fault.signals))}
    frontier = [root]
    depth = 0
    while frontier and depth < 8:
        nxt = []
        for callee in frontier:
            t0, sig = out[callee]
            for caller in g.callers[callee]:
                if caller == root or g.is_loadgen(caller):
                    continue
                got: set[str] = set()
                if g.is_async(caller, callee):
                    if rng.random() < 0.9:
                        got.add("lag" if caller not in _producers(g, callee) else "latency")
                    delay = rng.uniform(30, 180)
                else:
                    if sig & {"errors", "down"} and rng.random() < 0.92:
                        got.add("errors")
                    if sig & {"latency", "saturation", "gc", "memory"} and rng.random() < 0.75 * 0.7**depth:
                        got.add("latency")
                    if "latency" in got and rng.random() < 0.3:
                        got.add("timeouts")
                    delay = rng.uniform(2, 20)
                if not got:
                    continue
                t = t0 + delay
                if caller in out:
                    out[caller] = (min(out[caller][0], t), out[caller][1] | got)
                    continue
                out[caller] = (t, got)
                nxt.append(caller)
        frontier = nxt
        depth += 1
    return out


def _producers(g: Graph, broker: str) -> set[str]:
    """Callers of a broker that also have synchronous callers of their own produce; the rest consume."""
    return {c for c in g.callers[broker] if g.callers[c]}


def _run_alerts(
    g: Graph, svcs: dict[str, _Svc], rng: random.Random, params: Params, fault: Fault, onset: datetime,
    alerts_root: bool, entries: frozenset[str], run_end: datetime,
) -> tuple[list[Series], dict[str, tuple[float, set[str]]]]:
    root = fault.target
    affected = _affected(g, fault, rng)
    scrape = rng.choice((15, 30))

    def at(t_aff: float, for_s: int, ramp: tuple[float, float]) -> datetime:
        t = onset + timedelta(seconds=t_aff + rng.uniform(*ramp) + for_s + rng.uniform(0, 60))
        return align(t, EPOCH, scrape)

    root_series: list[Series] = []
    others: list[Series] = []
    for name, (t_aff, sig) in sorted(affected.items()):
        s = svcs[name]
        if name == root:
            if not alerts_root:
                continue
            low = rng.random() < params.root_low_severity
            late = rng.uniform(60, 480)
            runtime = [x for x in sorted(sig) if x in _RUNTIME and (x in s.runtime or x == "down")]
            for x in runtime:
                _, for_s, _, summary = _RUNTIME[x]
                labels = _runtime_alert(s, x, rng, "warning" if low and x == "down" else None)
                root_series.append((labels, at(t_aff + late, for_s, (30, 240)), None, summary))
            if sig & {"errors", "latency"}:
                rule = next(r for r in _SPAN if r[1] in sig and (not low or r[3] != "critical"))
                root_series.append((_span_alert(s, rule, rng), at(t_aff + late, rule[2], (10, 90)), None, rule[4]))
            if not root_series:
                rule = _SPAN[0]
                root_series.append((_span_alert(s, rule, rng), at(t_aff + late, rule[2], (10, 90)), None, rule[4]))
            continue
        rules = _ENVOY if g.kind(name) is None and name in entries and "proxy" in name else _SPAN
        for rule in rules:
            if rule[1] not in sig or rng.random() > (0.9 if name in entries else 0.7):
                continue
            repeats = rng.randint(2, 4) if name in entries else 1
            for _ in range(repeats):  # entry points: one series per route/span, some re-firing
                labels = _span_alert(s, rule, rng) if rules is _SPAN else {
                    "alertname": rule[0], "envoy_cluster_name": "frontend", "severity": rule[3],
                    "namespace": "otel-demo", "app_kubernetes_io_name": name,
                    "route": rng.choice(("/", "/api/cart", "/api/checkout", "/api/products", "/api/recommendations")),
                }
                t = at(t_aff, rule[2], (5, 60)) + timedelta(seconds=rng.uniform(0, 120))
                ends = t + timedelta(seconds=rng.uniform(60, 300)) if rng.random() < 0.25 else None
                others.append((labels, t, ends, rule[4]))
        if "lag" in sig and "lag" in s.runtime:
            _, for_s, _, summary = _RUNTIME["lag"]
            others.append((_runtime_alert(s, "lag", rng), at(t_aff, for_s, (30, 180)), None, summary))
        # Callers suffer too: retries burn CPU, queued requests hold memory, failing health checks
        # restart pods.
        strain = sorted(s.runtime & {"saturation", "memory", "crash"})
        if strain and rng.random() < 0.4:
            x = rng.choice(strain)
            _, for_s, _, summary = _RUNTIME[x]
            others.append((_runtime_alert(s, x, rng), at(t_aff, for_s, (60, 300)), None, summary))

    # Load generator users see the failures too (Locust failure ratio).
    if others and rng.random() < 0.5:
        lg = next((n for n in g.names if g.is_loadgen(n)), None)
        if lg:
            t = min(t for _, t, _, _ in others) + timedelta(seconds=rng.uniform(30, 240))
            others.append(({"alertname": "LoadGeneratorFailureRatioHigh", "job": lg, "severity": "info",
                            "namespace": "otel-demo"}, t, None, "{svc}: request failures above 5%"))

    callers = sorted(g.callers[root], key=lambda c: (g.is_loadgen(c), c))
    if not root_series and not others and callers:  # a run nobody noticed is not in an alert set
        t = align(onset + timedelta(seconds=rng.uniform(60, 300)), EPOCH, scrape)
        others.append((_span_alert(svcs[callers[0]], _SPAN[0], rng), t, None, _SPAN[0][4]))
    if root_series:
        r0 = min(t for _, t, _, _ in root_series)
        wants_first = rng.random() < params.root_first
        if not others and not wants_first and callers:
            rule = _SPAN[0]
            t = align(onset + timedelta(seconds=rng.uniform(30, 120)), EPOCH, scrape)
            others.append((_span_alert(svcs[callers[0]], rule, rng), min(t, r0), None, rule[4]))
        if others:
            o0 = min(t for _, t, _, _ in others)
            if wants_first and o0 <= r0:
                d = r0 - o0 + timedelta(seconds=rng.uniform(15, 90))
                others = [(lab, t + d, e + d if e else None, s) for lab, t, e, s in others]
            elif not wants_first and r0 <= o0:
                d = o0 - r0 + timedelta(seconds=rng.uniform(30, 240))
                root_series = [(lab, t + d, e + d if e else None, s) for lab, t, e, s in root_series]
        # Whatever the shift, the root's alert is recorded within the run.
        if max(t for _, t, _, _ in root_series) >= run_end:
            cap = run_end - timedelta(seconds=5)
            root_series = [(lab, min(t, cap), e, s) for lab, t, e, s in root_series]
    return root_series + others, affected


_OBS = [("otel-collector", "OtelCollectorExporterQueueFull", "warning", "{svc}: exporter queue near capacity"),
        ("otel-collector", "OtelCollectorDroppedSpans", "warning", "{svc}: spans refused by receiver"),
        ("opensearch", "OpenSearchClusterYellow", "warning", "{svc}: cluster health yellow"),
        ("jaeger", "JaegerCollectorQueueLength", "info", "{svc}: span queue growing"),
        ("prometheus", "PrometheusRuleEvaluationSlow", "warning", "{svc}: rule group evaluation slow")]


def _noise(
    g: Graph, svcs: dict[str, _Svc], rng: random.Random, book: AlertBook, params: Params, incident_alerts: int,
    start: datetime, end: datetime,
) -> set[str]:
    share = params.noise_share
    want = round(incident_alerts * share / (1 - share)) if share < 1 else 0
    span = (end - start).total_seconds()
    busy = sorted((n for n in g.names if not g.is_loadgen(n)), key=lambda n: (-len(g.callers[n]), n))[:6]
    busy += [n for n in g.entries if n not in busy]
    out: set[str] = set()
    tries = 0
    while len(out) < want and tries < 50 + 20 * want:
        tries += 1
        t = start + timedelta(seconds=rng.uniform(0, span))
        kind = rng.choices(("blip", "obs", "ramp"), (0.6, 0.3, 0.1))[0]
        if kind == "blip" and busy:  # a load-generator traffic burst: short latency blips
            s = svcs[rng.choice(busy)]
            rule = _SPAN[2]
            labels = _span_alert(s, rule, rng)
            labels["span_name"] = rng.choice(_span_names(s.name))
            fp = book.add(labels, t, summary=rule[4].format(svc=s.name),
                          ends_at=t + timedelta(seconds=rng.uniform(60, 240)))
        elif kind == "obs":
            svc, name, sev, summary = rng.choice(_OBS)
            labels = {"alertname": name, "job": svc, "severity": sev, "namespace": "otel-demo",
                      "pod": f"{svc}-{replicaset_hash(rng)}-{pod_suffix(rng)}"}
            ends = t + timedelta(seconds=rng.uniform(120, 600)) if rng.random() < 0.5 else None
            fp = book.add(labels, t, summary=summary.format(svc=svc), ends_at=ends)
        else:
            lg = next((n for n in g.names if g.is_loadgen(n)), "load-generator")
            labels = {"alertname": "LoadGeneratorUsersChanged", "job": lg, "severity": "info",
                      "namespace": "otel-demo", "pod": f"{lg}-{replicaset_hash(rng)}-{pod_suffix(rng)}"}
            fp = book.add(labels, t, summary=f"{lg}: user count changed",
                          ends_at=t + timedelta(seconds=rng.uniform(60, 180)))
        if fp:
            out.add(fp)
    return out
