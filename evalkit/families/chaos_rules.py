"""The monitoring estate of a chaos_bench world: rule sets, rule evaluation, alert labels.

The estate fixes, once per world, its conventions: which label usually names a service, the RED
rules' alert names (one of four dialects; gRPC services use the grpc mixin's), six team copies of
its RED rule template, one cluster-wide set of Kubernetes rules (kube-prometheus-stack), exporter
rules per datastore kind, namespaces and external labels. Every service then gets, lazily and
from a random stream of its own (so it does not depend on which services were looked at first),
a *profile*: the label carrying its name, namespace, pods and their addresses, evaluation
interval, detection lag, and its rules by coverage class:

* ``full``: a team copy of the RED rules (latency, errors, outbound timeouts, consumer lag for
  consumers) plus the Kubernetes rules; entry points add SLO burn-rate rules.
* ``kube``: only the Kubernetes rules (kube-state-metrics / cAdvisor): they see pods that crash,
  are not ready or are throttled, nothing about requests.
* ``exporter``: datastores and brokers watched through an exporter (instance down, slow queries).
* ``none``: no rule looks at the service.

A rule sees a *signal* (a rectangular pulse: a fraction ``x`` of requests or pods bad from
``start`` to ``end``) through its range window W: the windowed average of the pulse crosses a
threshold thr at ``start + W*thr/x`` and falls below it at ``end + W*(1 - thr/x)`` (a pulse
shorter than W peaks at ``x*duration/W`` and may never cross). The rule goes pending at the
first evaluation tick after that, fires ``for:`` later if the condition still holds then, and
resolves at the first tick after it ends; the service's detection lag delays both. SLO burn-rate
rules use a one-hour long window (it fills slowly) and a five-minute short one (it resets fast).
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass, replace

from evalkit.world import POD_CHARS, SERVICE_LABELS, Graph

# Signal kinds: what a fault does to a service, as a rule can measure it.
LATENCY, ERRORS, TIMEOUTS, LAG = "latency", "errors", "timeouts", "lag"
SATURATION, MEMORY, OOM, RESTARTS, UNAVAILABLE = "saturation", "memory", "oom", "restarts", "unavailable"


def unit(*parts: object) -> float:
    """A deterministic uniform draw in [0, 1) keyed by ``parts`` (cheap; no stream is consumed)."""
    return units(1, *parts)[0]


def units(n: int, *parts: object) -> list[float]:
    """``n`` deterministic uniform draws in [0, 1) keyed by ``parts``."""
    h = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8 * n).digest()
    return [int.from_bytes(h[8 * i:8 * i + 8], "big") / 2.0**64 for i in range(n)]


def _names(key: str, n: int) -> tuple[str, list[str]]:
    """A ReplicaSet hash and ``n`` pod suffixes, from one digest (Kubernetes' alphabet)."""
    raw = hashlib.blake2b(key.encode(), digest_size=9 + 5 * n).digest()
    text = "".join(POD_CHARS[b % len(POD_CHARS)] for b in raw)
    return text[:9], [text[9 + 5 * i:14 + 5 * i] for i in range(n)]


def tick(t: float, step: int) -> float:
    """The first rule evaluation at or after ``t`` (seconds from the world's epoch)."""
    return math.ceil(t / step - 1e-9) * step


@dataclass(frozen=True)
class Signal:
    kind: str
    start: float  # seconds from EPOCH
    end: float
    x: float  # fraction of requests (or pods) bad while it lasts
    pods: tuple[int, ...] | None = None  # which pods; None: all of them


@dataclass(frozen=True)
class Rule:
    alertname: str
    kind: str  # the signal kind it watches
    source: str  # app | client | kube | exporter | slo
    for_s: int
    thr: float
    window_s: int  # range window of the expression; 0 for an instant gauge
    severity: str
    per_pod: bool
    summary: str
    slo: str = ""


@dataclass
class Profile:
    name: str
    key: str  # the label carrying the service name
    namespace: str
    pods: tuple[str, ...]
    ips: tuple[str, ...]
    coverage: str
    rules: tuple[Rule, ...]
    eval_s: int
    lag_s: float


# Alert-name dialects: an estate names its own RED rules one way, for every service alike.
_DIALECTS = (
    ("HighRequestLatency", "HighErrorRate", "UpstreamRequestTimeouts"),
    ("HTTPLatencyP99High", "HTTP5xxRatioHigh", "HTTPClientTimeoutsHigh"),
    ("ServiceLatencyHigh", "ServiceErrorRateHigh", "OutboundCallTimeouts"),
    ("APIHighLatency", "APIHighErrorRate", "APIDependencyTimeouts"),
)
_GRPC = ("GRPCServerHandlingSlow", "GRPCRequestsErrorsHigh", "GRPCClientDeadlineExceeded")
_KEYS = ("service", "app", "app_kubernetes_io_name", "k8s_deployment_name", "job", "kubernetes_deployment",
         "container", "service_name")
_KEY_W = (0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05)
_STORE_KIND = (
    (re.compile(r"mysql|mariadb|sqldata|sql"), "Mysql"), (re.compile(r"postgres|pg-|-pg|psql"), "Postgresql"),
    (re.compile(r"mongo"), "Mongodb"), (re.compile(r"redis|valkey"), "Redis"), (re.compile(r"memcache"), "Memcached"),
    (re.compile(r"kafka"), "Kafka"), (re.compile(r"rabbit"), "Rabbitmq"), (re.compile(r"cassandra"), "Cassandra"),
    (re.compile(r"elastic|-es-|^es-"), "Elasticsearch"),
)
_NS_APP = ("prod", "shop", "apps", "storefront", "backend", "default")
_NS_DATA = ("data", "databases", "stateful")
_CLUSTERS = ("prod-eu-1", "prod-us-east-2", "k8s-prod-02", "gke-prod-central")


def store_kind(name: str) -> str:
    for pattern, kind in _STORE_KIND:
        if pattern.search(name):
            return kind
    return "Database"


def _pick(rng: random.Random, options: tuple[int, ...] | tuple[float, ...]) -> int | float:
    return options[rng.randrange(len(options))]


class Estate:
    """World-wide monitoring conventions plus a lazily built profile per service."""

    def __init__(self, g: Graph, seed: int, unmonitored: float, lag_max_s: float) -> None:
        rng = random.Random(f"chaos_bench|{seed}|estate")
        self.g, self.seed, self.unmonitored, self.lag_max_s = g, seed, unmonitored, lag_max_s
        self.key = rng.choices(_KEYS, _KEY_W)[0]
        self.dialect = _DIALECTS[rng.randrange(len(_DIALECTS))]
        names = set(g.names)
        self.ns_app = [n for n in rng.sample(_NS_APP, 3) if n not in names] or ["apps-prod"]
        self.ns_data = next((n for n in rng.sample(_NS_DATA, 3) if n not in names), "data-prod")
        self.external: dict[str, str] = {}
        if rng.random() < 0.6:
            self.external["cluster"] = rng.choice(_CLUSTERS)
        if rng.random() < 0.4:
            self.external["prometheus"] = "monitoring/k8s"
        self.eval_s = int(rng.choice((15, 30, 30, 30, 60)))
        self.net = f"10.{rng.randrange(16, 250)}"
        self._app = [_app_template(rng, self.dialect) for _ in range(6)]
        self._kube = _kube_rules(rng)
        self._exporter: dict[str, list[Rule]] = {}
        self._profiles: dict[str, Profile] = {}

    def profile(self, name: str) -> Profile:
        known = self._profiles.get(name)
        if known is None:
            known = self._profiles[name] = self._make(name)
        return known

    def _make(self, name: str) -> Profile:
        g = self.g
        rng = random.Random(f"chaos_bench|{self.seed}|svc|{name}")
        key = self.key if rng.random() < 0.8 else rng.choices(_KEYS, _KEY_W)[0]
        store = g.is_store(name) or g.kind(name) == "broker"
        entry = name in g.entry_set
        infra = g.kind(name) is not None and not store
        u = rng.random()
        if store:
            coverage = "none" if u < 0.2 else "kube" if u < 0.45 else "exporter"
        elif entry:
            coverage = "kube" if u < 0.05 else "full"
        elif infra:
            coverage = "none" if u < 0.15 else "kube" if u < 0.55 else "full"
        else:
            coverage = "none" if u < self.unmonitored else "kube" if u < self.unmonitored + 0.15 else "full"
        if store:
            n = 1 if rng.random() < 0.6 else 3
            pods = tuple(f"{name}-{i}" for i in range(n))  # a StatefulSet
            namespace = self.ns_data if rng.random() < 0.7 else rng.choice(self.ns_app)
        else:
            n = rng.randint(2, 6) if entry else rng.choice((1, 2, 2, 3))
            rs, suffixes = _names(f"{self.seed}|pods|{name}", n)
            pods = tuple(f"{name}-{rs}-{sfx}" for sfx in suffixes)
            namespace = self.ns_app[int(unit(self.seed, "ns", name) * len(self.ns_app))]
        port = rng.choice((8080, 9090, 3000, 50051))
        ips = tuple(f"{self.net}.{rng.randrange(0, 255)}.{rng.randrange(2, 254)}:{port}" for _ in pods)
        rules: list[Rule] = []
        if coverage == "full":
            rules += self._app[rng.randrange(len(self._app))]
            if rng.random() < 0.25:  # a gRPC service: the grpc mixin's names for the same rules
                rules = [replace(r, alertname=_GRPC[_SLOTS.index(r.kind)]) if r.kind in _SLOTS else r for r in rules]
            if any(g.is_async(name, d) for d in g.callees[name]) and rng.random() < 0.6:
                rules.append(Rule("KafkaConsumerGroupLagHigh", LAG, "client", int(_pick(rng, (120, 300, 600))), 0.05, 0,
                                  "warning", False, "Consumer group lag of {svc} is growing"))
            if entry:
                rules += _slo_rules(rng)
        if coverage in ("full", "kube"):
            limits = rng.random() < 0.7  # CPU limits set: throttling is measurable
            rules += [r for r in self._kube if limits or r.kind != SATURATION]
        if coverage == "exporter":
            kind = store_kind(name)
            if kind not in self._exporter:
                self._exporter[kind] = _exporter_rules(random.Random(f"chaos_bench|{self.seed}|exporter|{kind}"), kind)
            rules += self._exporter[kind]
        eval_s = self.eval_s if rng.random() < 0.8 else int(rng.choice((15, 30, 60)))
        lag_s = rng.uniform(0, self.lag_max_s)
        return Profile(name, key, namespace, pods, ips, coverage, tuple(rules), eval_s, lag_s)


_SLOTS = (LATENCY, ERRORS, TIMEOUTS)


def _app_template(rng: random.Random, dialect: tuple[str, str, str]) -> tuple[Rule, ...]:
    """One team's copy of the estate's RED rule template (teams tune ``for:`` and thresholds)."""
    lat, err, tmo = dialect
    sev = ("warning", "critical")
    rules = [
        Rule(lat, LATENCY, "app", int(_pick(rng, (60, 120, 180, 300, 300, 600))),
             float(_pick(rng, (0.01, 0.05, 0.05, 0.1))), int(_pick(rng, (60, 300, 300, 300))),
             rng.choice(sev), rng.random() < 0.45, "High request latency on {svc}"),
        Rule(err, ERRORS, "app", int(_pick(rng, (60, 120, 120, 300, 300, 600))),
             float(_pick(rng, (0.01, 0.02, 0.05, 0.05, 0.1))), int(_pick(rng, (60, 120, 300, 300))),
             rng.choice(sev), rng.random() < 0.45, "High error ratio on {svc}"),
    ]
    if rng.random() < 0.5:
        rules.append(Rule(tmo, TIMEOUTS, "client", int(_pick(rng, (60, 120, 300))), float(_pick(rng, (0.01, 0.05))),
                          300, "warning", rng.random() < 0.45, "Outbound requests from {svc} are timing out"))
    return tuple(rules)


def _slo_rules(rng: random.Random) -> list[Rule]:
    """An entry point's multiwindow burn-rate alerts (Pyrra / Sloth style), availability and latency."""
    rules = []
    for objective, budget in (("availability", ERRORS), ("latency", LATENCY)):
        target = float(_pick(rng, (0.999, 0.995, 0.99)))
        rules.append(Rule("ErrorBudgetBurn", budget, "slo", int(_pick(rng, (0, 120))), 14.4 * (1 - target), 3600,
                          "critical", False, "{svc} is burning its error budget too fast",
                          slo=f"{objective}-{target * 100:g}"))
    return rules


def _kube_rules(rng: random.Random) -> tuple[Rule, ...]:
    """The estate's Kubernetes rules (one PrometheusRule for the whole cluster): kube-prometheus-stack
    defaults (for: 15m) are common; many estates shorten them or add their own."""
    rules = [
        Rule("KubePodCrashLooping", RESTARTS, "kube", int(_pick(rng, (300, 600, 900, 900))), 0.5, 300, "warning",
             True, "Pod is crash looping."),
        Rule("KubePodNotReady", UNAVAILABLE, "kube", int(_pick(rng, (60, 300, 900, 900))), 0.5, 0, "warning", True,
             "Pod has been in a non-ready state for too long."),
    ]
    if rng.random() < 0.7:
        rules.append(Rule("TargetDown", UNAVAILABLE, "kube", int(_pick(rng, (60, 300, 600, 600))), 0.1, 0, "warning",
                          False, "Some targets were not reachable."))
    rules.append(Rule("CPUThrottlingHigh", SATURATION, "kube", 900, 0.25, 300, "info", True,
                      "Processes experience elevated CPU throttling."))
    if rng.random() < 0.4:
        rules.append(Rule("ContainerCpuUsageHigh", SATURATION, "kube", int(_pick(rng, (120, 300))), 0.8, 300,
                          "warning", True, "Container CPU usage above 80% of its limit"))
    if rng.random() < 0.5:
        rules.append(Rule("ContainerMemoryUsageHigh", MEMORY, "kube", int(_pick(rng, (120, 300))), 0.5, 0, "warning",
                          True, "Container memory usage above 85% of its limit"))
    if rng.random() < 0.4:
        rules.append(Rule("KubeContainerOOMKilled", OOM, "kube", 0, 0.5, 0, "warning", True,
                          "Container was OOMKilled"))
    if rng.random() < 0.5:
        rules.append(Rule("KubeDeploymentReplicasMismatch", UNAVAILABLE, "kube", int(_pick(rng, (300, 900))), 0.1, 0,
                          "warning", False, "Deployment has not matched the expected number of replicas."))
    return tuple(rules)


def _exporter_rules(rng: random.Random, kind: str) -> list[Rule]:
    rules = [Rule(f"{kind}Down", UNAVAILABLE, "exporter", int(_pick(rng, (60, 120, 300))), 0.5, 0, "critical", True,
                  f"{kind} instance is down")]
    if rng.random() < 0.7:
        rules.append(Rule(f"{kind}SlowQueries", LATENCY, "exporter", int(_pick(rng, (120, 300))),
                          float(_pick(rng, (0.05, 0.1, 0.2))), 300, "warning", True, f"{kind} queries are slow"))
    return rules


def condition(rule: Rule, sig: Signal, x: float) -> tuple[float, float] | None:
    """When the rule's expression holds for a pulse of height ``x``: (true from, true until)."""
    dur = sig.end - sig.start
    if dur <= 0 or x <= rule.thr:
        return None
    w = rule.window_s
    if w <= 0:
        return sig.start, sig.end
    if x * min(dur, w) / w <= rule.thr:
        return None
    if rule.source == "slo":  # long window fills slowly; the short one (5m) lets it reset fast
        return sig.start + w * rule.thr / x, sig.end + 300 * (1 - rule.thr / x)
    return sig.start + w * rule.thr / x, sig.end + w * (1 - rule.thr / x)


def fire(rule: Rule, prof: Profile, sig: Signal, x: float) -> tuple[float, float] | None:
    """(starts, ends) of the alert the rule raises on the signal, in seconds; None when it never fires."""
    held = condition(rule, sig, x)
    if held is None:
        return None
    on, off = held
    step = prof.eval_s
    pending = tick(on, step)
    firing = tick(pending + rule.for_s, step)
    if firing >= off:
        return None
    return firing + prof.lag_s, tick(off, step) + prof.lag_s


def labels(
    estate: Estate, prof: Profile, rule: Rule, pod: int | None, extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """Alertmanager labels of one series; the service is named the way the connector reads it."""
    svc = prof.name
    out = {"alertname": rule.alertname, "severity": rule.severity, "namespace": prof.namespace, **estate.external}
    if rule.alertname == "TargetDown":  # over ``up`` of the service's own scrape job
        out[prof.key] = svc
        out["job"] = svc
    elif rule.source == "kube":  # kube-state-metrics / cAdvisor series, the workload's labels joined in
        if pod is not None:
            out["container"] = svc
        if rule.alertname.startswith("KubeDeployment"):
            out["deployment"] = svc
        if prof.key != "job":
            out[prof.key] = svc
            if SERVICE_LABELS.index(prof.key) < SERVICE_LABELS.index("job"):
                out["job"] = "kube-state-metrics"
        elif pod is None and "deployment" not in out:
            out["job"] = svc
    elif rule.source == "exporter":
        out[prof.key] = svc
        before = SERVICE_LABELS.index(prof.key) < SERVICE_LABELS.index("job")
        out["job"] = f"{svc}-metrics" if before else svc
    else:
        out[prof.key] = svc
        out["job"] = svc
    if pod is not None:
        out["pod"] = prof.pods[pod]
        if rule.source != "kube":
            out["instance"] = prof.ips[pod]
            out["container"] = svc
            out["endpoint"] = "grpc" if rule.alertname.startswith("GRPC") else "http-metrics"
    if rule.slo:
        out["slo"] = rule.slo
        out["long"], out["short"] = "1h", "5m"
    if extra:
        out.update(extra)
    return out


# The description annotation per rule kind, as a templated rule would print it (never naming
# another service): {pct} the measured share, {where} namespace/pod (or /service), {name} the
# service, {ns} its namespace, {window} the rate window in minutes.
_DESCRIPTIONS: dict[str, str] = {
    LATENCY: "{pct} of requests served by {where} are slower than the objective.",
    ERRORS: "{pct} of requests served by {where} returned errors over the last {window}m.",
    TIMEOUTS: "{pct} of outbound calls made by {where} exceeded their deadline.",
    LAG: "Messages are waiting longer than usual before {name} consumes them.",
    RESTARTS: "Pod {where} ({name}) is in waiting state (reason: \"CrashLoopBackOff\").",
    UNAVAILABLE: "{pct} of the {name} targets in {ns} are not ready or not reachable.",
    SATURATION: "CPU of container {name} in {where} is saturated or throttled.",
    MEMORY: "Memory working set of {name} in {where} is close to its limit.",
}
_OOM_DESCRIPTION = "Container {name} in pod {where} was terminated (reason: OOMKilled)."


def describe(rule: Rule, prof: Profile, pod: int | None, x: float) -> str:
    """The description annotation of ``rule`` firing on ``prof`` (``pod``) at measured share ``x``."""
    if rule.source == "slo":
        return f"{prof.name} {rule.slo} objective: 1h burn-rate {x / max(1e-6, rule.thr / 14.4):.1f}x."
    where = f"{prof.namespace}/{prof.pods[pod]}" if pod is not None else f"{prof.namespace}/{prof.name}"
    template = _DESCRIPTIONS.get(rule.kind, _OOM_DESCRIPTION)
    return template.format(pct=f"{min(100.0, 100 * x):.1f}%", where=where, name=prof.name, ns=prof.namespace,
                           window=rule.window_s // 60 or 1)
