"""Fourteen days of change history as CDEvents (spec v0.3.0) JSON lines.

Most of it is innocent: merges followed by deploys in each team's working hours, a few version
upgrades of data stores, three quick rollbacks, environment changes. Four events are planted:
the bad payment-service deploy, the decoy deploy, the Kafka rolling upgrade and the paused CDC
connector behind the orders-db disk. Their ids go into the ground truth.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .world import ANCHOR, BY_NAME, DOMAIN, SERVICES, Svc, owner_of

SPEC_VERSION = "0.3.0"
TYPES = {
    "deployed": "dev.cdevents.service.deployed.0.1.1",
    "upgraded": "dev.cdevents.service.upgraded.0.1.1",
    "rolledback": "dev.cdevents.service.rolledback.0.1.1",
    "merged": "dev.cdevents.change.merged.0.1.2",
    "env": "dev.cdevents.environment.modified.0.1.1",
}
QUIET_BEFORE_ANCHOR = timedelta(minutes=35)  # only planted events in the last 35 minutes
DEPLOY_SOURCE = f"https://argocd.{DOMAIN}"
ENVS = ("prod-us-east-1", "prod-eu-west-1", "prod-data", "staging")
# Services whose planted story must not be muddied by random recent deploys.
PROTECTED = ("payment-service", "recommendations-service")
_RECENT = timedelta(hours=30)


def ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


class History:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.events: list[tuple[datetime, dict[str, Any]]] = []
        self.versions: dict[str, tuple[int, int, int]] = {}
        self.pr = 3100
        for s in SERVICES:
            self.versions[s.name] = (rng.randint(1, 4), rng.randint(0, 24), rng.randint(0, 9))
        self.versions["payment-service"] = (2, 13, 0)
        self.versions["recommendations-service"] = (4, 1, 6)
        self.versions["events-kafka"] = (3, 6, 1)

    def _id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _emit(self, kind: str, at: datetime, subject: dict[str, Any], source: str,
              custom: dict[str, Any]) -> str:
        eid = self._id()
        self.events.append((at, {
            "context": {"version": SPEC_VERSION, "id": eid, "source": source,
                        "type": TYPES[kind], "timestamp": ts(at)},
            "subject": {**subject, "source": source},
            "customDataContentType": "application/json",
            "customData": custom}))
        return eid

    def bump(self, name: str, minor: bool) -> str:
        ma, mi, pa = self.versions[name]
        self.versions[name] = (ma, mi + 1, 0) if minor else (ma, mi, pa + 1)
        return self.version(name)

    def version(self, name: str) -> str:
        return ".".join(str(x) for x in self.versions[name])

    def merge(self, svc: Svc, at: datetime, author: str, title: str) -> str:
        self.pr += self.rng.randint(1, 9)
        repo = f"larkspur/{svc.name}"
        url = f"https://github.com/{repo}/pull/{self.pr}"
        return self._emit("merged", at, {"id": f"{repo}#{self.pr}", "type": "change", "content": {
            "repository": {"id": repo, "source": f"https://github.com/{repo}"}}},
            f"https://github.com/{repo}", {"author": author, "url": url, "service": svc.name,
                                           "title": f"{title} (#{self.pr})"})

    def deploy(self, svc: Svc, at: datetime, author: str, version: str, kind: str = "deployed",
               env: str = "prod-us-east-1", note: str = "", subject_id: str | None = None) -> str:
        artifact = f"pkg:oci/{svc.name}@{version}?repository_url=registry.{DOMAIN}/{svc.system}/{svc.name}"
        summary = note or f"{kind} {svc.name} {version} to {env}"
        return self._emit(kind, at, {"id": subject_id or svc.name, "type": "service", "content": {
            "environment": {"id": env, "source": f"{DEPLOY_SOURCE}/clusters/{env}"},
            "artifactId": artifact}}, DEPLOY_SOURCE, {
            "author": author, "url": f"{DEPLOY_SOURCE}/applications/{svc.name}?rev={version}",
            "summary": summary})

    def env_change(self, env: str, at: datetime, author: str, summary: str,
                   service: str | None = None) -> str:
        custom: dict[str, Any] = {"author": author, "summary": summary,
                                  "url": f"https://github.com/larkspur/infra-live/pull/{self.pr}"}
        if service:
            custom["service"] = service
        self.pr += 1
        return self._emit("env", at, {"id": env, "type": "environment", "content": {
            "name": env, "url": f"https://console.{DOMAIN}/environments/{env}"}},
            f"https://atlantis.{DOMAIN}", custom)

    def lines(self) -> list[str]:
        ordered = sorted(self.events, key=lambda e: (e[0], e[1]["context"]["id"]))
        return [json.dumps(e, sort_keys=False, separators=(",", ":")) for _, e in ordered]


_TITLES = (
    "Bump dependencies", "Add request metrics to {svc}", "Fix null handling in {svc} mapper",
    "Tune connection pool timeouts", "Refactor {svc} client retries", "Add feature flag guard",
    "Improve logging around retries", "Update base image", "Fix flaky integration test",
    "Cache lookups for hot keys", "Remove dead code path", "Add pagination to list endpoint",
    "Harden input validation", "Upgrade HTTP client", "Reduce allocations in hot loop",
)
_DEPLOYABLE = [s for s in SERVICES if s.kind == "Component" and not s.external and s.pods > 0]
_UPGRADABLE = ("session-redis", "cart-redis", "catalog-db", "search-elasticsearch",
               "fulfillment-db", "core-postgres", "feature-store-redis")


def _author(rng: random.Random, svc: Svc) -> str:
    return rng.choice(owner_of(svc).members).user


def _work_time(rng: random.Random, day: datetime, svc: Svc) -> datetime:
    """A moment in the owning team's working day (09:30-17:30 local) on the given date."""
    zone = ZoneInfo(owner_of(svc).tz)
    local = datetime(day.year, day.month, day.day, 9, 30, tzinfo=zone)
    return (local + timedelta(minutes=rng.randint(0, 480), seconds=rng.randint(0, 59))).astimezone(
        ANCHOR.tzinfo)


def routine(h: History) -> None:
    """Merges and deploys spread over the working hours of the 14 days before the anchor."""
    rng = h.rng
    for back in range(14, -1, -1):
        day = (ANCHOR - timedelta(days=back)).date()
        weekend = day.weekday() >= 5
        for _ in range(rng.randint(0, 2) if weekend else rng.randint(10, 15)):
            svc = rng.choice(_DEPLOYABLE)
            at = _work_time(rng, datetime(day.year, day.month, day.day), svc)
            # Leave room for the merge that precedes each deploy inside the 14-day window.
            if at > ANCHOR - QUIET_BEFORE_ANCHOR or at < ANCHOR - timedelta(days=14, hours=-2):
                continue
            if svc.name in PROTECTED and at > ANCHOR - _RECENT:
                continue
            _ship(h, svc, at, minor=rng.random() < 0.25 and svc.name != "payment-service")


def _ship(h: History, svc: Svc, at: datetime, minor: bool) -> None:
    rng = h.rng
    author = _author(rng, svc)
    title = rng.choice(_TITLES).format(svc=svc.name)
    h.merge(svc, at - timedelta(minutes=rng.randint(12, 95)), author, title)
    previous = h.version(svc.name)
    version = h.bump(svc.name, minor)
    kind = "upgraded" if rng.random() < 0.2 else "deployed"
    h.deploy(svc, at, author, version, kind, note=f"{title}: {svc.name} {previous} -> {version}")
    if rng.random() < 0.025:  # quick rollbacks happen; none of them is part of the incident
        h.versions[svc.name] = tuple(int(x) for x in previous.split("."))  # type: ignore[assignment]
        h.deploy(svc, at + timedelta(minutes=rng.randint(14, 40)), author, previous, "rolledback",
                 note=f"Rolled back {svc.name} {version} -> {previous}: canary error budget alarm")


def maintenance(h: History) -> None:
    """Data-store upgrades and environment tweaks, all innocent."""
    rng = h.rng
    for i, name in enumerate(_UPGRADABLE):
        svc = BY_NAME[name]
        day = ANCHOR - timedelta(days=13 - 2 * i)
        at = _work_time(rng, day, svc)
        author = _author(rng, svc)
        previous, version = h.version(name), h.bump(name, minor=False)
        h.deploy(svc, at, author, version, "upgraded",
                 note=f"Minor engine upgrade of {name} {previous} -> {version} (rolling)")
    notes = ("Raise node pool max size 40 -> 48", "Rotate ingress TLS certificates",
             "Enable gp3 storage class by default", "Bump cluster autoscaler to 1.29.2",
             "Add egress rule for ParcelHub new IP range", "Tighten PodDisruptionBudgets for tier-1")
    for i, note in enumerate(notes):
        at = ANCHOR - timedelta(days=12 - 2 * i, hours=rng.randint(-3, 2), minutes=rng.randint(0, 59))
        h.env_change(ENVS[i % 2], at, rng.choice(owner_of(BY_NAME["api-gateway"]).members).user, note)


def planted(h: History) -> dict[str, str]:
    """The incident's causal changes and the decoy. Times are fixed offsets from the anchor."""
    pay, recs, kafka = BY_NAME["payment-service"], BY_NAME["recommendations-service"], BY_NAME["events-kafka"]
    ids = {}
    ids["cdc_merge"] = h.merge(BY_NAME["analytics-loader"], ANCHOR - timedelta(hours=5, minutes=41),
                               "omar.haddad", "Pause orders-cdc connector during warehouse migration")
    ids["orders_db_cause"] = h.env_change(
        "prod-data", ANCHOR - timedelta(hours=5, minutes=12), "omar.haddad",
        "Paused Debezium connector orders-cdc; replication slot cdc_orders left in place",
        service="orders-db")
    ids["payment_merge"] = h.merge(pay, ANCHOR - timedelta(minutes=47), "marcus.webb",
                                   "Switch payment intents to Paystream API v3 serializer")
    ids["decoy_merge"] = h.merge(recs, ANCHOR - timedelta(minutes=58), "kenji.mori",
                                 "Blend seasonal boost into ranking")
    ids["payment_cause"] = h.deploy(pay, ANCHOR - timedelta(minutes=18), "marcus.webb", "2.14.0",
                                    note=f"payment-service {h.version(pay.name)} -> 2.14.0: "
                                         "Paystream API v3 serializer", subject_id="payment-service")
    h.versions[pay.name] = (2, 14, 0)
    ids["decoy"] = h.deploy(recs, ANCHOR - timedelta(minutes=21), "kenji.mori", "4.2.0",
                            note=f"recommendations-service {h.version(recs.name)} -> 4.2.0: "
                                 "seasonal boost in ranking")
    ids["kafka_cause"] = h.deploy(kafka, ANCHOR - timedelta(minutes=14), "lukas.becker", "3.7.0",
                                  "upgraded", env="prod-us-east-1",
                                  note="Rolling upgrade events-kafka 3.6.1 -> 3.7.0 (kafka-0..2)")
    return ids


def build(rng: random.Random) -> tuple[list[str], dict[str, str]]:
    h = History(rng)
    routine(h)
    maintenance(h)
    ids = planted(h)
    return h.lines(), ids
