"""The alert, noise and change events of a scenario, shaped like Alertmanager and CD events."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from opscontext.fingerprint import fingerprint
from opscontext.models import Alert, AlertState, Change

if TYPE_CHECKING:
    from evalkit.classic.scenario import Incident, ScenarioConfig
    from evalkit.classic.topologies import Topology

ROOT_PROFILES = (
    ("HighLatency", "CPUSaturation"),
    ("HighErrorRate", "HighLatency"),
    ("MemorySaturation", "HighErrorRate"),
    ("HighErrorRate",),
    ("HighLatency", "ThreadPoolSaturation"),
)
NEAR_SYMPTOMS = ("HighLatency", "HighErrorRate", "HighLatency", "HighErrorRate", "ThreadPoolSaturation")
FAR_SYMPTOMS = ("NoRequests", "TrafficAbsent")
NOISE = (
    ("DiskSpaceLow", "warning"), ("CertificateExpiringSoon", "info"), ("PodRestarting", "warning"),
    ("HighMemoryUsage", "warning"), ("HighLatency", "warning"), ("HighErrorRate", "critical"),
    ("CPUSaturation", "warning"),
)
SUMMARIES = {
    "HighLatency": "p99 latency above SLO", "HighErrorRate": "5xx ratio above 5%",
    "CPUSaturation": "CPU throttled above 90%", "MemorySaturation": "memory above 95% of limit",
    "ThreadPoolSaturation": "worker pool exhausted", "NoRequests": "request rate dropped to zero",
    "TrafficAbsent": "no traffic metrics scraped",
}


ROUTE_KEYS = ("route", "route", "route", "endpoint", "handler", "path")
_SUFFIXES = ("-service", "service", "-svc", "-api", "-server")


def _stem(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


class AlertFactory:
    def __init__(self, rng: random.Random, cfg: ScenarioConfig, deps: dict[str, set[str]] | None = None) -> None:
        self.rng = rng
        self.cfg = cfg
        self.deps = deps or {}
        self.alerts: list[Alert] = []

    def _emit(self, service: str, name: str, severity: str, at: datetime, flap: float,
              extra: dict[str, str] | None = None) -> str:
        rng = self.rng
        labels = {"alertname": name, "service": service, "severity": severity, "namespace": "prod",
                  "instance": f"{service}-{rng.getrandbits(24):06x}", **(extra or {})}
        fp = fingerprint(labels)
        starts = [at]
        if rng.random() < flap:
            for _ in range(rng.randint(1, 4)):
                starts.append(starts[-1] + timedelta(seconds=rng.uniform(120, 480)))
        for t in starts:
            resolved = rng.random() < 0.5
            # models._aware rejects an explicit None, so ends_at is passed only when set.
            ends: dict[str, datetime] = (
                {"ends_at": t + timedelta(minutes=rng.uniform(3, 40))} if resolved else {}
            )
            alert = Alert(
                fingerprint=fp, alertname=name, service=service, severity=severity,
                summary=f"{service}: {SUMMARIES.get(name, name)}", labels=labels,
                annotations={"summary": SUMMARIES.get(name, name)}, starts_at=t,
                updated_at=t, state=AlertState.RESOLVED if resolved else AlertState.ACTIVE,
                source="eval", **ends,  # type: ignore[arg-type]
            )
            self.alerts.append(alert)
            if rng.random() < self.cfg.duplicate:
                self.alerts.append(alert)  # an HA pair delivering the same alert twice
        return fp

    def routes(self, inc: Incident) -> dict[str, dict[str, str]]:
        """Route labels of the callers that serve several backends, when they have them: a
        gateway's route names the backend it called; callers above it repeat that route."""
        out: dict[str, dict[str, str]] = {}
        for service, (_, depth) in sorted(inc.affected.items(), key=lambda kv: kv[1][1]):
            via = inc.via.get(service)
            if depth == 0 or via is None or len(self.deps.get(service, ())) < 2:
                continue
            if self.rng.random() < self.cfg.route_labels:
                path = next(iter(out[via].values())) if via in out else f"/api/v1/{_stem(via)}"
                out[service] = {self.rng.choice(ROUTE_KEYS): path}
        return out

    def incident(self, inc: Incident) -> None:
        rng = self.rng
        routes = self.routes(inc)
        for service, (onset, depth) in inc.affected.items():
            if depth == 0:
                if rng.random() < self.cfg.silent_root:
                    continue
                names = list(rng.choice(ROOT_PROFILES))
                if len(names) > 1 and rng.random() < 0.3:
                    names = [rng.choice(names)]  # the other rule never fired: scrape gaps
                jitter, critical = 180.0, 0.55
            else:
                if rng.random() < self.cfg.silent_hop:
                    continue
                pool = FAR_SYMPTOMS if depth >= 2 and rng.random() < 0.4 else NEAR_SYMPTOMS
                names = list(dict.fromkeys(rng.choice(pool) for _ in range(rng.randint(1, 2))))
                jitter, critical = 120.0, 0.4
            for name in names:
                at = onset + timedelta(seconds=rng.uniform(0, jitter))
                severity = "critical" if rng.random() < critical else "warning"
                inc.fingerprints.add(self._emit(service, name, severity, at, self.cfg.flap, routes.get(service)))

    def noise(self, services: list[str], start: datetime, hours: float) -> set[str]:
        rng = self.rng
        n = max(1, round(self.cfg.noise_per_service_hour * len(services) * hours))
        out = set()
        for _ in range(n):
            name, severity = rng.choice(NOISE)
            at = start + timedelta(seconds=rng.uniform(0, hours * 3600))
            out.add(self._emit(rng.choice(services), name, severity, at, 2.5 * self.cfg.flap))
        return out

    def changes(self, t: Topology, incidents: list[Incident], start: datetime) -> list[Change]:
        rng = self.rng
        out: list[Change] = []
        for inc in incidents:
            if rng.random() < self.cfg.causal_change:
                at = inc.onset - timedelta(seconds=rng.uniform(120, 900))
                change = self._change(inc.root, at)
                inc.causal_change = change.id
                out.append(change)
        names = [s.name for s in t.services]
        for _ in range(max(2, round(self.cfg.innocent_changes_per_service * len(names)))):
            at = start + timedelta(seconds=rng.uniform(-3600, self.cfg.hours * 3600))
            out.append(self._change(rng.choice(names), at))
        return sorted(out, key=lambda c: c.at)

    def _change(self, service: str, at: datetime) -> Change:
        rng = self.rng
        kind = rng.choices(("deployment", "config", "merge"), (0.7, 0.2, 0.1))[0]
        version = f"v{rng.randint(1, 3)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
        summary = {"deployment": f"deploy {service} {version}", "config": f"config change on {service}",
                   "merge": f"merge to {service} main"}[kind]
        return Change(
            id=f"chg-{rng.getrandbits(32):08x}", service=service, kind=kind, summary=summary, at=at,
            author=rng.choice(("ana", "bo", "chen", "dee", "eli")), environment="prod",
            version=version if kind == "deployment" else None, source="eval",
        )
