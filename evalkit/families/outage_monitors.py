"""The monitoring estate of outage_replay: who watches each service, with what, and how it pages.

Each service is watched by one primary stack (Prometheus rules on Kubernetes, Datadog monitors,
CloudWatch alarms bridged into the pager, Grafana-managed rules), named by the label that stack
uses, and some services by a second team's stack too (duplicate monitors on one symptom). Entry
points also have synthetic checks and SLO burn-rate alerts. Hosts are shared by several services:
a host alert carries only a host or instance (or the node exporter's job), never a service.

Texts name only the alert's own service: no callee, no dependency, nothing an engine could read
the answer from. No word of them is a service name in any bundled or synthetic topology.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from evalkit.world import Graph, pod_suffix, replicaset_hash

STACKS: tuple[tuple[str, float], ...] = (("prom", 0.4), ("datadog", 0.3), ("cloudwatch", 0.15), ("grafana", 0.15))
PROM_KEYS = ("service", "app", "app_kubernetes_io_name", "job", "container", "kubernetes_deployment", "deployment")
TEAMS = ("storefront-eng", "platform-sre", "data-infra", "core-eng", "growth-eng", "fin-eng", "ops-oncall")

# kind -> (Prometheus alertname, monitor phrase, CloudWatch metric, severity, summary, minutes to fire)
KINDS: dict[str, tuple[str, str, str, str, str, float]] = {
    "errors": ("HTTP5xxRatioHigh", "5xx ratio above 5%", "HTTPCode_Target_5XX_Count", "critical",
               "{svc}: {v}% of requests answered 5xx over 5m", 1.0),
    "latency": ("LatencyP99High", "p99 latency above SLO", "TargetResponseTime", "warning",
                "{svc}: p99 latency {v}00ms over the 5m window", 2.0),
    "timeouts": ("UpstreamTimeouts", "requests timing out", "TargetConnectionErrorCount", "critical",
                 "{svc}: {v} requests timed out waiting on a dependency in 5m", 1.0),
    "crashloop": ("KubePodCrashLooping", "pods restarting", "RunningTaskCount", "critical",
                  "{svc}: container restarted {v} times in 10m (CrashLoopBackOff)", 2.0),
    "log_errors": ("LogErrorBurst", "error log volume spike", "ErrorLogCount", "warning",
                   "{svc}: {v}0 log lines at level=error in 5m", 1.5),
    "config_reload": ("ConfigReloadRejected", "config reload rejected", "ConfigReloadFailures", "warning",
                      "{svc}: {v} clients rejected the last config revision", 1.0),
    "cert_check": ("SSLCertificateInvalid", "TLS check failing", "CertificateDaysToExpiry", "critical",
                   "{svc}: TLS probe failed, certificate not valid after expiry date", 0.5),
    "tls_errors": ("TLSHandshakeErrors", "TLS handshake failures", "ClientTLSNegotiationErrorCount", "critical",
                   "{svc}: {v} TLS handshake failures on outbound calls in 5m", 1.0),
    "traffic_drop": ("RequestVolumeDrop", "request volume anomaly", "RequestCount", "warning",
                     "{svc}: request volume {v}0% below the weekly baseline", 3.0),
    "dns_errors": ("DNSLookupFailures", "name resolution failures", "DNSQueryErrors", "critical",
                   "{svc}: {v} NXDOMAIN/SERVFAIL answers on lookups in 5m", 1.0),
    "login_failures": ("LoginFailuresHigh", "rejected logins", "LoginFailures", "warning",
                       "{svc}: {v} rejected logins (bad password) in 5m", 1.5),
    "auth_errors": ("AuthorizationErrors", "401/403 responses", "HTTPCode_Target_4XX_Count", "critical",
                    "{svc}: {v}% of outbound calls rejected with 401/403", 1.0),
    "cpu": ("CPUSaturation", "CPU saturated", "CPUUtilization", "critical",
            "{svc}: CPU at 9{v}% for 5m", 2.0),
    "db_conn": ("ConnectionsNearMax", "connections near max", "DatabaseConnections", "critical",
                "{svc}: {v}0 of max connections in use", 1.5),
    "repl_lag": ("ReplicationLagHigh", "replica lag", "ReplicaLag", "warning",
                 "{svc}: replica {v}0s behind the primary", 3.0),
    "conn_pool": ("ConnectionPoolExhausted", "pool wait time high", "PoolPendingAcquires", "critical",
                  "{svc}: {v}0 requests waiting for a pooled connection", 1.0),
    "memory_trend": ("MemoryGrowthPredicted", "memory forecast over limit", "MemoryUtilizationForecast", "warning",
                     "{svc}: memory projected to reach the limit within {v} hours", 2.0),
    "memory": ("ContainerMemoryHigh", "memory above 90%", "MemoryUtilization", "critical",
               "{svc}: working set at 9{v}% of the memory limit", 2.0),
    "oom": ("ContainerOOMKilled", "OOM kills", "OOMKillCount", "critical",
            "{svc}: container OOMKilled {v} times in 15m", 0.5),
    "disk_trend": ("DiskFillPredicted", "disk forecast full", "FreeStorageSpaceForecast", "warning",
                   "{svc}: volume projected full within {v} hours", 2.0),
    "disk": ("VolumeAlmostFull", "volume above 95%", "FreeStorageSpace", "critical",
             "{svc}: data volume 9{v}% used", 2.0),
    "cache_miss": ("CacheHitRatioLow", "hit ratio collapse", "CacheHitRate", "warning",
                   "{svc}: hit ratio down to {v}% (keys evicted or flushed)", 1.5),
    "queue_depth": ("QueueDepthGrowing", "backlog growing", "ApproximateNumberOfMessagesVisible", "critical",
                    "{svc}: {v}000 messages waiting, growing for 5m", 2.0),
    "consumer_lag": ("ConsumerLagHigh", "consumer lag", "ConsumerLag", "warning",
                     "{svc}: consumer group {v}000 messages behind", 2.0),
    "publish_errors": ("PublishFailures", "publish failures", "PublishErrors", "critical",
                       "{svc}: {v}% of message publishes failing", 1.0),
    "upstream_errors": ("ProviderErrorsHigh", "third-party API errors", "ExternalCallErrors", "critical",
                        "{svc}: {v}% of calls to the external provider fail with 5xx", 1.0),
    "synthetic": ("SyntheticCheckFailed", "synthetic journey failing", "SyntheticsSuccessPercent", "critical",
                  "{svc}: browser journey failed from {v} of 5 probe locations", 1.0),
    "slo_burn": ("ErrorBudgetBurn", "error budget burn", "SLOBurnRate", "critical",
                 "{svc}: availability budget burning at {v}x over 1h and 5m", 2.0),
    "cert_soon": ("SSLCertificateExpiringSoon", "certificate expiring soon", "DaysToExpiry", "info",
                  "{svc}: TLS certificate expires in {v}0 days", 0.0),
    "host_cpu": ("NodeCPUHigh", "host CPU high", "CPUUtilization", "warning",
                 "host CPU above 9{v}% for 10m", 2.0),
    "host_mem": ("NodeMemoryPressure", "host memory pressure", "MemoryUtilization", "warning",
                 "host memory available below {v}%", 2.0),
    "host_disk": ("NodeFilesystemAlmostFull", "host disk almost full", "DiskSpaceUtilization", "warning",
                  "filesystem /var/lib at 9{v}% on host", 2.0),
}
HOST_OF = {"cpu": "host_cpu", "memory": "host_mem", "oom": "host_mem", "disk": "host_disk", "memory_trend": "host_mem",
           "disk_trend": "host_disk", "db_conn": "host_cpu"}
_CW_NAMESPACE = {"db_conn": "AWS/RDS", "repl_lag": "AWS/RDS", "disk": "AWS/RDS", "cache_miss": "AWS/ElastiCache",
                 "queue_depth": "AWS/SQS", "consumer_lag": "AWS/MSK", "errors": "AWS/ApplicationELB",
                 "latency": "AWS/ApplicationELB", "synthetic": "CloudWatchSynthetics"}
_CW_DIM = {"AWS/RDS": "DBInstanceIdentifier", "AWS/ElastiCache": "CacheClusterId", "AWS/SQS": "QueueName",
           "AWS/MSK": "Cluster Name", "AWS/ApplicationELB": "TargetGroup", "CloudWatchSynthetics": "CanaryName",
           "AWS/ECS": "ServiceName"}
_MON_TYPE = {"log_errors": "log", "errors": "apm", "latency": "apm", "timeouts": "apm", "synthetic": "synthetics",
             "slo_burn": "slo"}

# One series to record: labels, start, end (None while firing), summary, the degraded service it
# comes from (a host alert names none; this says whose host it is) and whether it links a runbook.
Series = tuple[dict[str, str], datetime, datetime | None, str, str, bool]


@dataclass
class Watch:
    stack: str
    key: str  # the label naming the service in this stack
    team: str
    second: str | None  # a second team's stack watching the same symptoms
    node: str  # the host it runs on
    ns: str


class Estate:
    def __init__(self, g: Graph, rng: random.Random) -> None:
        self.rng = rng
        names = [n for n in g.names]
        nodes = [f"ip-10-{rng.randint(0, 3)}-{rng.randint(1, 254)}-{rng.randint(1, 254)}"
                 for _ in range(max(3, len(names) // 4))]
        self.watch: dict[str, Watch] = {}
        taken = set(names)
        for n in names:
            stack = rng.choices([s for s, _ in STACKS], [w for _, w in STACKS])[0]
            key = {"prom": rng.choice(PROM_KEYS), "datadog": "service",
                   "cloudwatch": rng.choice(("service_name", "service")),
                   "grafana": rng.choice(("service_name", "service", "app"))}[stack]
            team = rng.choice(TEAMS)
            second = rng.choice([s for s, _ in STACKS if s != stack]) if rng.random() < 0.2 else None
            self.watch[n] = Watch(stack, key, team if team not in taken else f"{team}-1", second,
                                  rng.choice(nodes), rng.choice(("prod", "shop", "core", "platform")))
        self._ids = rng.getrandbits(20)

    def _id(self) -> str:
        self._ids += 1 + self.rng.randint(0, 40)
        return str(self._ids)

    def labels(self, svc: str, kind: str, stack: str, pod: str | None) -> tuple[dict[str, str], bool]:
        """The label set one stack gives the alert, and whether it links a runbook."""
        w = self.watch[svc]
        prom_name, phrase, metric, sev, _, _ = KINDS[kind]
        if kind in ("synthetic", "slo_burn") and stack != "cloudwatch":
            return self._journey(svc, kind, sev), False
        if stack == "prom":
            out = {"alertname": prom_name, "severity": sev, w.key if w.stack == "prom" else "service": svc,
                   "namespace": w.ns, "cluster": "prod-eu-1", "prometheus": "monitoring/k8s"}
            if pod:
                out["pod"] = pod
            return out, True
        if stack == "datadog":
            out = {"alertname": f"[prod] {svc} {phrase}", "severity": sev, "service": svc, "env": "prod",
                   "team": w.team, "monitor_id": self._id(), "alert_cycle_key": f"{self.rng.getrandbits(40):010x}",
                   "monitor_type": _MON_TYPE.get(kind, "metric")}
            if pod:
                out["pod_name"] = pod
            return out, False
        if stack == "cloudwatch":
            ns = _CW_NAMESPACE.get(kind, "AWS/ECS")
            key = w.key if w.stack == "cloudwatch" else "service"
            out = {"alertname": f"{svc}-prod-{metric}", "severity": sev, key: svc, "namespace": ns,
                   "metric_name": metric, "region": "eu-west-1", "account_id": "418273645091",
                   "dimensions": f"{_CW_DIM.get(ns, 'ServiceName')}=prod-{svc}"}
            return out, False
        key = w.key if w.stack == "grafana" else "service"
        out = {"alertname": phrase.capitalize(), "severity": sev, key: svc,
               "grafana_folder": w.team, "rule_uid": f"{self.rng.getrandbits(36):09x}",
               "datasource": "loki" if kind == "log_errors" else "prometheus"}
        if pod:
            out["pod"] = pod
        return out, False

    def _journey(self, svc: str, kind: str, sev: str) -> dict[str, str]:
        if kind == "synthetic":
            return {"alertname": KINDS[kind][0], "severity": sev, "service": svc, "env": "prod",
                    "check_id": f"{self.rng.getrandbits(24):06x}", "check_type": self.rng.choice(("browser", "api")),
                    "location": self.rng.choice(("aws:eu-central-1", "aws:us-east-1", "gcp:europe-west4"))}
        return {"alertname": KINDS[kind][0], "severity": sev, "service": svc, "slo": f"{svc}-availability",
                "long": self.rng.choice(("1h", "6h")), "short": self.rng.choice(("5m", "30m"))}

    def host(self, svc: str, kind: str) -> tuple[dict[str, str], bool]:
        """A host alert on the node ``svc`` runs on: no service label (or the node exporter's job)."""
        w = self.watch[svc]
        prom_name, phrase, _, sev, _, _ = KINDS[HOST_OF.get(kind, kind)]
        if self.rng.random() < 0.5:
            out = {"alertname": prom_name, "severity": "warning", "instance": f"{w.node}:9100", "cluster": "prod-eu-1"}
            if self.rng.random() < 0.5:
                out["job"] = "node-exporter"
            return out, True
        return {"alertname": f"[prod] {phrase} on {w.node}", "severity": sev, "host": w.node,
                "env": "prod", "monitor_id": self._id(), "monitor_type": "metric",
                "alert_cycle_key": f"{self.rng.getrandbits(40):010x}"}, False

    def pod(self, svc: str) -> str:
        return f"{svc}-{replicaset_hash(self.rng)}-{pod_suffix(self.rng)}"

    def page(
        self, svc: str, kind: str, at: datetime, *, pods: int = 0, dup: bool = True, flap: float = 0.06,
    ) -> list[Series]:
        """Every series one symptom of ``svc`` opens at ``at``: per pod when ``pods`` > 0, on the second
        team's stack too when there is one, and sometimes flapping."""
        rng = self.rng
        w = self.watch[svc]
        stacks = [w.stack] + ([w.second] if dup and w.second else [])
        out: list[Series] = []
        summary = KINDS[kind][4].replace("{v}", str(rng.randint(2, 9))).replace("{svc}", svc)
        for k, stack in enumerate(stacks):
            t = at + timedelta(seconds=rng.uniform(0, 90)) if k else at
            pod_names: Sequence[str | None] = [self.pod(svc) for _ in range(pods)] if pods else [None]
            if kind in ("crashloop", "oom") and not pods:
                pod_names = [self.pod(svc)]
            for p in pod_names:
                labels, book = self.labels(svc, kind, stack, p)
                if rng.random() < flap:
                    out += self.flap(labels, t, summary, svc, book)
                else:
                    out.append((labels, t, None, summary, svc, book))
        return out

    def flap(self, labels: dict[str, str], t: datetime, summary: str, svc: str, book: bool) -> list[Series]:
        """A page that resolved and fired again: a new Datadog cycle is a new alert; Alertmanager
        keeps one series whose start is the later firing."""
        rng = self.rng
        back = t + timedelta(minutes=rng.uniform(3.0, 6.0))
        if "alert_cycle_key" in labels:
            first = (labels, t, t + timedelta(minutes=rng.uniform(1.0, 2.5)), summary, svc, book)
            again = dict(labels, alert_cycle_key=f"{rng.getrandbits(40):010x}")
            return [first, (again, back, None, summary, svc, book)]
        return [(labels, back, None, summary, svc, book)]
