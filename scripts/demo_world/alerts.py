"""Alertmanager ``GET /api/v2/alerts`` snapshots of the incident, the noise and the flappers.

Fingerprints are computed the way Prometheus/Alertmanager do (model.LabelSet.Fingerprint):
FNV-1a 64 over label names and values in name order, each followed by the 0xff separator byte,
printed as 16 hex digits. Firing alerts carry endsAt = snapshot + 4 min, as Prometheus sends them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from opscontext.fingerprint import fingerprint

from .alert_text import TEXT
from .catalog import runbook_file
from .incident import CAUSES, Rule
from .noise import FLAPPERS, NOISE
from .world import ANCHOR, BY_NAME, DOMAIN, owner_of

SNAPSHOTS = (-45 * 60, -30 * 60, -20 * 60, -10 * 60, 0)  # seconds relative to the anchor
ENDS_AFTER = timedelta(minutes=4)  # Prometheus re-sends firing alerts with endsAt = now + 4m


@dataclass
class Built:
    group: str  # cause id, "noise" or "flapping"
    service: str  # canonical name (ground truth only; the payload carries the raw label)
    labels: dict[str, str]
    annotations: dict[str, str]
    expr: str
    episodes: list[tuple[datetime, datetime | None]]
    silenced_by: list[str] = field(default_factory=list)
    inhibited_by: str | None = None  # alertname of the inhibiting alert (same service/route)
    fp: str = ""


class Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pods: dict[str, list[str]] = {}
        self.alerts: list[Built] = []

    def _pods(self, service: str, n: int) -> list[str]:
        if service not in self.pods:
            svc = BY_NAME[service]
            deploy = "payment-service-v2" if service == "payment-service" else service
            rs = "".join(self.rng.choice("0123456789abcdef") for _ in range(9))
            self.pods[service] = [f"{deploy}-{rs}-" + "".join(
                self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
                for _ in range(max(svc.pods, n))]
        return self.pods[service][:n]

    def _instances(self, rule: Rule, service: str) -> list[dict[str, str]]:
        if isinstance(rule.fan, int):
            base = [{"pod": p, "container": service} for p in self._pods(service, rule.fan)] \
                if rule.fan > 1 else [{}]
        else:
            base = [{k: v} for k, v in rule.fan]
        if not rule.routes:
            return base
        return [{**b, "route": r} for r in rule.routes for b in base]

    def add(self, group: str, service: str, rule: Rule, start: datetime,
            end: datetime | None = None, jitter: bool = True) -> list[Built]:
        out = []
        at = start
        for i, inst in enumerate(self._instances(rule, service)):
            if i and jitter:
                at += timedelta(seconds=self.rng.randint(2, 14), milliseconds=self.rng.randint(0, 999))
            out.append(self._one(group, service, rule, inst, at, end))
        self.alerts.extend(out)
        return out

    def _one(self, group: str, service: str, rule: Rule, inst: dict[str, str],
             at: datetime, end: datetime | None) -> Built:
        svc = BY_NAME[service]
        team = owner_of(svc).name
        labels = {"alertname": rule.alertname, "severity": rule.severity, "team": team,
                  "namespace": svc.system, "cluster": "prod-us-east-1", "env": "production",
                  "prometheus": "monitoring/k8s", rule.key: rule.value, **dict(rule.extra), **inst}
        summary, desc, expr, (lo, hi, fmt) = TEXT[rule.alertname]
        where = next((inst[k] for k in ("route", "pod", "broker", "instance", "node") if k in inst),
                     None) or next((v for k, v in rule.extra if k in (
                         "instance", "broker", "slot_name", "queue", "host", "job_name", "route")),
                         rule.value)
        value = fmt.format(round(self.rng.uniform(lo, hi), 4))
        fill = {"svc": rule.value, "where": where, "value": value}
        annotations = {
            "summary": summary.format(**fill), "description": desc.format(**fill),
            "runbook_url": f"https://git.{DOMAIN}/sre/runbooks/blob/main/{runbook_file(svc)}",
            "dashboard": f"https://grafana.{DOMAIN}/d/{service}/overview"}
        built = Built(group, service, labels, annotations, expr.format(svc=rule.value),
                      [(at, end)], inhibited_by=rule.inhibited_by)
        built.fp = fingerprint(labels)
        return built


def build(rng: random.Random) -> tuple[Builder, dict[str, str]]:
    """All alerts, and the silence ids (name -> id) used by the suppressed ones."""
    b = Builder(rng)
    for cause in CAUSES:
        for hop in cause.hops:
            for rule in hop.rules:
                start = ANCHOR + timedelta(seconds=cause.start + hop.delay + rule.delay)
                if hop.delay or rule.delay:
                    start += timedelta(milliseconds=rng.randint(0, 999))
                b.add(cause.id, hop.service, rule, start)
    silence = {"analytics-maintenance": str(_uuid(rng))}
    for n in NOISE:
        for a in b.add("noise", n.service, n.rule, ANCHOR + timedelta(seconds=n.start)):
            if n.silenced:
                a.silenced_by = [silence["analytics-maintenance"]]
    for f in FLAPPERS:
        first, *rest = f.episodes
        (a,) = b.add("flapping", f.service, f.rule, ANCHOR + timedelta(seconds=first[0]),
                     _rel(first[1]))
        a.episodes += [(ANCHOR + timedelta(seconds=s), _rel(e)) for s, e in rest]
    return b, silence


def _rel(seconds: int | None) -> datetime | None:
    return None if seconds is None else ANCHOR + timedelta(seconds=seconds)


def _uuid(rng: random.Random) -> str:
    import uuid

    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def snapshot(b: Builder, offset: int) -> list[dict[str, Any]]:
    """What GET /api/v2/alerts answered at anchor + offset seconds.

    The API lists only alerts firing at that moment (resolved ones are filtered out), so a
    flapping alert shows up once per episode that spans a snapshot, each time with a new startsAt.
    """
    now = ANCHOR + timedelta(seconds=offset)
    firing = {(a.service, a.labels["alertname"], a.labels.get("route")): a.fp
              for a in b.alerts if _start(a, now) is not None}
    out = []
    for a in b.alerts:
        start = _start(a, now)
        if start is None:
            continue
        inhibitor = firing.get((a.service, a.inhibited_by or "", a.labels.get("route")))
        out.append({
            "labels": a.labels, "annotations": a.annotations,
            "startsAt": iso(start), "endsAt": iso(now + ENDS_AFTER),
            "updatedAt": iso(max(start, now - timedelta(seconds=int(a.fp[:2], 16) % 30))),
            "fingerprint": a.fp,
            "status": {"state": "suppressed" if a.silenced_by or inhibitor else "active",
                       "silencedBy": a.silenced_by, "inhibitedBy": [inhibitor] if inhibitor else []},
            "receivers": [{"name": _receiver(a.labels)}],
            "generatorURL": f"https://prometheus.{DOMAIN}/graph?g0.expr={quote(a.expr, safe='')}&g0.tab=1",
        })
    return sorted(out, key=lambda x: x["fingerprint"])


def _receiver(labels: dict[str, str]) -> str:
    """Criticals page through PagerDuty, the rest go to the team's Slack channel."""
    return f"{labels['team']}-{'pagerduty' if labels['severity'] == 'critical' else 'slack'}"


def _start(a: Built, now: datetime) -> datetime | None:
    """Start of the episode firing at ``now``, if any."""
    for start, end in a.episodes:
        if start <= now and (end is None or now < end):
            return start
    return None
