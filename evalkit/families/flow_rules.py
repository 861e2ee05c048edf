"""Monitoring of a request_flow world: per-service alerting rules and their evaluation.

Each service gets a rule set drawn for it (:func:`draw_rules`): a coverage profile by kind
(application services: none, ``up`` only, error ratio + latency, or those plus saturation and
memory; datastores and brokers their own kinds; consumers a lag rule), thresholds relative to what
the service shows on a calm day, windows of 1-10 min, ``for:`` durations, severities, an evaluation
interval of 30 or 60 s per rule group. :func:`episodes` evaluates a rule the way Prometheus does:
on its evaluation grid the expression over the window is compared with the threshold; an alert is
pending from the first true evaluation and fires (``startsAt``) at the first evaluation at least
``for:`` later while still true; it resolves (``endsAt``) at the first false evaluation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import numpy as np

from evalkit.families.flow_net import MINUTE, STEP_S, STEPS, Net, Vec
from evalkit.families.flow_sim import Run

WARM = 10 * MINUTE  # rules start evaluating once their windows hold data


@dataclass(frozen=True)
class Monitoring:
    """How a cell's estate is monitored."""

    app_cover: tuple[float, float, float, float]  # weights: none, up only, errors+latency, full
    infra_cover: tuple[float, float, float]  # datastores and brokers: none, up only, full
    err_k: tuple[float, float]  # error threshold over the calm ratio
    lat_k: tuple[float, float]  # latency threshold over the calm p95
    sat: tuple[float, float]  # saturation thresholds (CPU, pool)
    fors: tuple[int, ...]  # for: durations to draw from, seconds
    windows: tuple[int, ...]  # rule windows to draw from, steps
    tuned: float = 0.7  # share of rules whose threshold was raised above the calm day's peaks


@dataclass(frozen=True)
class Rule:
    node: int
    alertname: str
    metric: str  # err | lat | up | cpu | pool | mem | lag
    threshold: float
    window: int  # steps
    for_s: int
    interval: int  # steps between evaluations
    offset: int  # first evaluation step
    severity: str
    labels: tuple[tuple[str, str], ...]  # beyond alertname/service/namespace/severity
    pod: int  # per-pod rules: which pod; -1 otherwise
    summary: str


_NAMES = {
    "err": ("HighErrorRate", "HTTPErrorRatioHigh", "ErrorBudgetBurn", "GRPCServerErrorsHigh"),
    "lat": ("HighLatencyP95", "SlowResponses", "LatencySLOBreach"),
    "up": ("TargetDown", "InstancesDown"),
    "cpu": ("CPUThrottlingHigh", "HighCPUUsage"),
    "pool": ("ThreadPoolExhausted", "HighInflightRequests", "ConnectionPoolSaturated"),
    "mem": ("ContainerMemoryNearLimit", "MemoryUsageHigh"),
    "lag": ("KafkaConsumerGroupLag", "ConsumerLagHigh"),
}
_SEVERITY = {"err": (0.6, 0.4, 0.0), "lat": (0.2, 0.7, 0.1), "up": (0.7, 0.3, 0.0), "cpu": (0.0, 0.6, 0.4),
             "pool": (0.2, 0.8, 0.0), "mem": (0.2, 0.8, 0.0), "lag": (0.3, 0.7, 0.0)}
_PREFIX = (("mysql", "MySQL"), ("postgres", "Postgres"), ("pg-", "Postgres"), ("mongo", "MongoDB"),
           ("redis", "Redis"), ("valkey", "Redis"), ("memcached", "Memcached"), ("cassandra", "Cassandra"),
           ("es-", "Elasticsearch"), ("elastic", "Elasticsearch"), ("kafka", "Kafka"), ("rabbit", "RabbitMQ"),
           ("nats", "NATS"))
_TOPICS = ("orders", "events", "payments", "audit", "notifications", "updates")


def _prefix(name: str, kind: str) -> str:
    return next((p for k, p in _PREFIX if k in name), "Broker" if kind == "broker" else "Database")


def _summary(metric: str, thr: float) -> str:
    return {
        "err": "{svc}: more than " + f"{thr:.2%}" + " of requests fail",
        "lat": "{svc}: p95 latency above " + f"{thr * 1000:.0f} ms",
        "up": "{svc}: " + f"{thr:.0%}" + " or more of its targets are down",
        "cpu": "{svc}: CPU above " + f"{thr:.0%}" + " of its limit",
        "pool": "{svc}: requests in flight above " + f"{thr:.0%}" + " of the pool",
        "mem": "{svc}: memory above " + f"{thr:.0%}" + " of its limit",
        "lag": "{svc}: consumer group more than " + f"{thr:.0f} s" + " behind",
    }[metric]


def _metrics(net: Net, v: int, rng: random.Random, mon: Monitoring) -> list[str]:
    node = net.nodes[v]
    if node.kind == "loadgen":
        return []
    if node.kind in ("store", "broker"):
        prof = rng.choices(("none", "up", "full"), mon.infra_cover)[0]
        return {"none": [], "up": ["up"], "full": ["up", "lat", "pool"]}[prof]
    prof = rng.choices(("none", "up", "red", "full"), mon.app_cover)[0]
    out = {"none": [], "up": ["up"], "red": ["err", "lat"], "full": ["err", "lat", "up", "cpu", "pool", "mem"]}[prof]
    if prof == "red" and rng.random() < 0.5:
        out.append("up")
    if node.brokers and prof != "none" and rng.random() < 0.8:
        out.append("lag")
    return out


def _threshold(metric: str, calm: Run, v: int, rng: random.Random, mon: Monitoring) -> float:
    """Thresholds a team would set looking at its calm-day dashboard."""
    if metric == "err":
        rel = rng.uniform(*mon.err_k) * float(np.median(calm.err[v]))
        fixed = rng.choice((0.01, 0.02, 0.05)) * mon.err_k[0] / 4  # tighter cells pick tighter fixed SLOs
        return round(rel if rng.random() < 0.6 else fixed, 4)
    if metric == "lat":
        return round(rng.uniform(*mon.lat_k) * float(np.median(calm.lat[v])), 4)
    if metric == "up":
        return rng.choice((0.1, 0.5))
    if metric in ("cpu", "pool"):
        return round(rng.uniform(*mon.sat), 2)
    if metric == "mem":
        return rng.choice((0.85, 0.9, 0.95))
    return float(rng.choice((60, 120, 300)) * mon.lat_k[0] / 1.8)  # lag seconds


def draw_rules(net: Net, calm: Run, rng: random.Random, mon: Monitoring) -> list[Rule]:
    """Every service's rule set."""
    rules: list[Rule] = []
    for v, node in enumerate(net.nodes):
        metrics = _metrics(net, v, rng, mon)
        interval = rng.choice((2, 4))
        offset = WARM + rng.randrange(interval)
        for metric in metrics:
            if node.kind in ("store", "broker"):
                pre = _prefix(node.name, node.kind)
                name = {"up": f"{pre}Down", "lat": f"{pre}SlowQueries" if node.kind == "store"
                        else f"{pre}ProduceLatencyHigh", "pool": f"{pre}TooManyConnections"}[metric]
            else:
                name = rng.choice(_NAMES[metric])
            thr = _threshold(metric, calm, v, rng, mon)
            severity = rng.choices(("critical", "warning", "info"), _SEVERITY[metric])[0]
            window = rng.choice(mon.windows) if metric in ("err", "lat") else 1
            for_s = rng.choice(mon.fors) if metric != "up" else rng.choice((60, 120, 300))
            # Resource rules are per container; 40 % of teams also aggregate errors/latency by pod.
            per_pod = metric in ("cpu", "mem") or (metric in ("err", "lat") and rng.random() < 0.4)
            pods = range(node.replicas) if per_pod else (-1,)
            extra: tuple[tuple[str, str], ...] = ()
            if metric == "lag":
                extra = (("consumergroup", node.name), ("topic", rng.choice(_TOPICS)))
            tuned = metric != "up" and rng.random() < mon.tuned
            for k in pods:
                labels = ((*extra, ("pod", net.pods[v][k])) if k >= 0 else extra)
                rule = Rule(v, name, metric, thr, window, for_s, interval, offset, severity, labels, k, "")
                if tuned:  # what a team does after a week of pages: above the usual peaks
                    calm_vals = series(net, calm, rule)[WARM:]
                    calm_vals = calm_vals[np.isfinite(calm_vals)]
                    if len(calm_vals):
                        rule = replace(rule, threshold=round(max(thr, 1.1 * float(np.percentile(calm_vals, 99))), 4))
                rules.append(replace(rule, summary=_summary(metric, rule.threshold)))
    return rules


def _rolling(x: Vec, w: int) -> Vec:
    if w <= 1:
        return x
    c = np.cumsum(x)  # the inputs are finite: absent data is masked after
    out = np.empty_like(x)
    out[:w] = c[:w] / np.arange(1, w + 1)
    out[w:] = (c[w:] - c[:-w]) / w
    return out


def series(net: Net, run: Run, rule: Rule) -> Vec:
    """What the rule's expression reads, per step (NaN: no data)."""
    v, z = rule.node, net.noise
    gone = run.up[v] <= 0
    if rule.metric == "up":
        return np.asarray(1 - run.up[v], dtype=np.float64)
    if rule.metric == "lag":
        return np.asarray(run.lag[v], dtype=np.float64)
    if rule.metric == "err":
        n = run.req[v] * STEP_S
        noise = z["err"][v]
        if rule.pod >= 0:  # this pod's share of the requests, and its own noise
            n, noise = n / net.nodes[v].replicas, z[f"pod{rule.pod}"][v]
        e = np.clip(n * run.err[v] + np.sqrt(n * run.err[v] * (1 - run.err[v])) * noise, 0.0, n)
        den = _rolling(n, rule.window)
        val = np.where(den > 0, _rolling(e, rule.window) / np.maximum(den, 1e-9), np.nan)
    elif rule.metric == "lat":
        noise = z["lat"][v] if rule.pod < 0 else np.roll(z[f"pod{rule.pod}"][v], 120)
        val = _rolling(run.lat[v] * np.exp(net.nodes[v].lat_sigma * noise), rule.window)
    elif rule.metric == "pool":
        val = run.pool[v] * (1 + 0.05 * z["pool"][v])
    elif rule.metric == "cpu":
        val = run.util[v] * (1 + 0.08 * z[f"pod{rule.pod}"][v])
    else:
        val = run.mem[v] + 0.01 * z[f"pod{rule.pod}"][v][::-1]
    return np.where(gone, np.nan, val)


Episode = tuple[int, int | None]  # firing from step, resolved at step (None: still firing)


def episodes(net: Net, run: Run, rule: Rule) -> list[Episode]:
    """When the rule's alert fired and resolved in this run."""
    grid = np.arange(rule.offset, STEPS, rule.interval)
    vals = series(net, run, rule)[grid]
    cond = vals > rule.threshold  # NaN (no data) compares false
    if not cond.any():
        return []
    d = np.diff(np.concatenate(([0], cond.astype(np.int8), [0])))
    out: list[Episode] = []
    need = rule.for_s // STEP_S
    for i, j in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True):
        k = i + -(-need // rule.interval)  # the first evaluation at least for: after the pending one
        if k < j:
            out.append((int(grid[k]), int(grid[j]) if j < len(grid) else None))
    return out
