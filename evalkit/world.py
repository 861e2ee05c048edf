"""The common shape of a generated world, and the pieces every family shares.

A :class:`World` is what a correlation engine would see (services, dependency edges, alerts,
changes) plus the ground truth (incidents and noise). It satisfies the ``GroundTruth`` protocol
of :mod:`evalkit.classic.metrics`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

from evalkit.classic.topologies import Topology
from opscontext.fingerprint import fingerprint
from opscontext.models import Alert, AlertState, Change, DependencyEdge, Service
from opscontext.promfamily import DEFAULT_SERVICE_LABELS

# A fixed reference instant: worlds are reproducible to the byte for a given seed.
EPOCH = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

# Label names the Alertmanager connector reads a service from, in its order.
SERVICE_LABELS: tuple[str, ...] = DEFAULT_SERVICE_LABELS


@dataclass(frozen=True)
class TrueIncident:
    id: str
    root: str  # the service where the fault was injected
    fingerprints: frozenset[str]  # alerts caused by this incident (Alert.fingerprint values)
    onset: datetime
    root_silent: bool  # the root raised no alert at all
    cause: str  # short free text, e.g. "bad deploy", "db saturation"


# Service -> when a fault first reached it, and the signals it showed (see World.degraded).
Degraded = dict[str, tuple[datetime, frozenset[str]]]


@dataclass
class World:
    family: str
    cell: str
    topology: str
    seed: int
    services: tuple[Service, ...]
    edges: tuple[DependencyEdge, ...]
    alerts: list[Alert]
    changes: list[Change]
    incidents: list[TrueIncident]
    noise: frozenset[str]
    now: datetime
    # Every service a fault reached (root and callers, quiet or not): when, and with which
    # signals (empty when the generator does not say). What a health source could see
    # (evalkit.health); recorded without drawing from the world's random stream.
    degraded: Degraded = field(default_factory=dict)

    def truth(self) -> dict[str, str]:
        """fingerprint -> incident id; a noise fingerprint maps to itself."""
        out = {fp: fp for fp in self.noise}
        for inc in self.incidents:
            for fp in inc.fingerprints:
                out[fp] = inc.id
        return out


# ---------------------------------------------------------------------------------------------
# Topology roles


_INFRA = {
    "flags": re.compile(r"flag|feature|toggle|launchdarkly|unleash"),
    "broker": re.compile(r"kafka|rabbit|broker|queue|nats|pubsub|pulsar|sqs|amqp|event-bus|eventbus"),
    "config": re.compile(r"config|param|consul|etcd|vault|secret|zookeeper"),
    "mesh": re.compile(r"mesh|istio|envoy|linkerd|sidecar"),
    "auth": re.compile(r"auth|iam|identity|oauth|keycloak|token|session"),
}
_ENTRY = re.compile(r"gateway|frontend|front-end|web|edge|ingress|bff|api-gw|portal")
_LOADGEN = re.compile(r"load-?gen|locust|loadgenerator")


def infra_kind(name: str) -> str | None:
    """Which kind of shared infrastructure a service name suggests, if any."""
    for kind, pattern in _INFRA.items():
        if pattern.search(name):
            return kind
    return None


@dataclass
class Graph:
    """Adjacency of a topology in both directions, and the roles its services play."""

    names: list[str]
    callers: dict[str, list[str]]  # service -> services depending on it (dependents)
    callees: dict[str, list[str]]  # service -> its dependencies
    types: dict[str, str]
    async_edges: set[tuple[str, str]] = field(default_factory=set)
    declared_entries: tuple[str, ...] = ()  # the topology file's own entry points

    @classmethod
    def of(cls, topology: Topology) -> Graph:
        names = [s.name for s in topology.services]
        callers: dict[str, list[str]] = {n: [] for n in names}
        callees: dict[str, list[str]] = {n: [] for n in names}
        asyncs: set[tuple[str, str]] = set()
        for e in topology.edges:
            if e.dependent not in callers or e.dependency not in callers:
                continue
            callers[e.dependency].append(e.dependent)
            callees[e.dependent].append(e.dependency)
            if e.kind in ("async", "publishes", "consumes", "subscribes") or infra_kind(e.dependency) == "broker":
                asyncs.add((e.dependent, e.dependency))
        types = {s.name: s.type or "service" for s in topology.services}
        return cls(names, callers, callees, types, asyncs, tuple(getattr(topology, "entrypoints", ())))

    @cached_property
    def _kinds(self) -> dict[str, str | None]:
        return {n: infra_kind(n) for n in self.names}

    @cached_property
    def _loadgens(self) -> frozenset[str]:
        return frozenset(n for n in self.names if _LOADGEN.search(n))

    def kind(self, name: str) -> str | None:
        return self._kinds.get(name)

    def is_store(self, name: str) -> bool:
        return self.types.get(name) == "database" and self._kinds.get(name) != "broker"

    def is_async(self, caller: str, callee: str) -> bool:
        return (caller, callee) in self.async_edges

    def is_loadgen(self, name: str) -> bool:
        return name in self._loadgens

    @cached_property
    def entries(self) -> tuple[str, ...]:
        """Entry points: named like gateways/frontends, plus those the topology file declares
        (DeathStarBench's ``nginx-thrift`` is named like neither), or else what nothing calls
        (load generators excluded)."""
        named = [n for n in self.names
                 if _ENTRY.search(n) and not self.is_loadgen(n) and self._kinds[n] != "mesh"]
        named += [n for n in self.declared_entries if n not in named]
        if named:
            return tuple(named)
        return tuple(n for n in self.names if not self.callers[n] and self.callees[n] and not self.is_loadgen(n))

    @cached_property
    def entry_set(self) -> frozenset[str]:
        out = set(self.entries)
        # What only a load generator calls is an entry point too.
        for n in self.names:
            if self.callers[n] and all(self.is_loadgen(c) for c in self.callers[n]):
                out.add(n)
        return frozenset(out)

    @cached_property
    def hubs(self) -> tuple[str, ...]:
        """Shared infrastructure (up to 5): named like it and depended on, else the highest in-degree nodes."""
        k = 5
        named = [n for n in self.names if self._kinds[n] and len(self.callers[n]) >= 2 and not _ENTRY.search(n)]
        ranked = sorted(self.names, key=lambda n: (-len(self.callers[n]), n))
        out = sorted(named, key=lambda n: (-len(self.callers[n]), n))[:k]
        for n in ranked:
            if len(out) >= k or len(self.callers[n]) < 3:
                break
            if n not in out and n not in self.entry_set:
                out.append(n)
        return tuple(out)

    @cached_property
    def stores(self) -> tuple[str, ...]:
        return tuple(n for n in self.names if self.is_store(n) and self.callers[n])

    @cached_property
    def mids(self) -> tuple[str, ...]:
        hubs = set(self.hubs)
        return tuple(
            n for n in self.names
            if self.callers[n] and self.callees[n] and n not in hubs and n not in self.entry_set
            and not self.is_store(n) and not self.is_loadgen(n)
        )


# ---------------------------------------------------------------------------------------------
# Alerts and changes


POD_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' safe alphabet for generated names


def pod_suffix(rng: random.Random) -> str:
    return "".join(rng.choice(POD_CHARS) for _ in range(5))


def replicaset_hash(rng: random.Random) -> str:
    return "".join(rng.choice(POD_CHARS) for _ in range(9))


def labelled_service(labels: Mapping[str, str]) -> str | None:
    """The service an alert's labels name, read as the Alertmanager connector reads it."""
    return next((labels[k] for k in SERVICE_LABELS if labels.get(k)), None)


class AlertBook:
    """Collects alerts of one world: Alertmanager-like label sets, one fingerprint per series."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.alerts: list[Alert] = []
        self._seen: set[str] = set()

    def taken(self, labels: Mapping[str, str]) -> bool:
        return fingerprint(labels) in self._seen

    def add(
        self,
        labels: Mapping[str, str],
        starts_at: datetime,
        *,
        summary: str,
        description: str | None = None,
        ends_at: datetime | None = None,
        runbook: bool = True,
    ) -> str | None:
        """Record one alert series; None when that exact series is already recorded (still firing)."""
        fp = fingerprint(labels)
        if fp in self._seen or starts_at > self.now:
            return None
        self._seen.add(fp)
        if ends_at is not None and ends_at >= self.now:
            ends_at = None
        annotations = {"summary": summary}
        if description:
            annotations["description"] = description
        if runbook:
            annotations["runbook_url"] = f"https://runbooks.example.internal/alerts/{labels['alertname'].lower()}"
        service = labelled_service(labels)
        self.alerts.append(
            Alert(
                fingerprint=fp,
                alertname=labels["alertname"],
                service=service,
                severity=labels.get("severity"),
                summary=summary,
                labels=dict(labels),
                annotations=annotations,
                starts_at=starts_at,
                ends_at=ends_at,
                updated_at=ends_at or self.now,
                state=AlertState.RESOLVED if ends_at is not None else AlertState.ACTIVE,
                generator_url="http://prometheus.example.internal/graph?g0.expr=ALERTS%7Balertname%3D%22"
                + labels["alertname"] + "%22%7D",
                source="alertmanager",
            )
        )
        return fp


def rescue(
    book: AlertBook, series: list[tuple[dict[str, str], datetime, datetime | None, str]], rng: random.Random,
    service_of: Callable[[Mapping[str, str]], str],
) -> str | None:
    """Record one of an incident's series on a pod of its own, when all of them were already taken
    by an earlier incident (the same rule firing on another replica is a distinct series)."""
    for labels, t, ends, summary in sorted(series, key=lambda x: x[1]):
        svc = service_of(labels)
        for _ in range(5):
            variant = dict(labels, pod=f"{svc}-{replicaset_hash(rng)}-{pod_suffix(rng)}")
            fp = book.add(variant, min(t, book.now), summary=summary.format(svc=svc), ends_at=ends)
            if fp:
                return fp
    return None


def claim(
    book: AlertBook, series: Sequence[Sequence[tuple[dict[str, str], datetime, datetime | None, str]]],
    roots: Sequence[str], rng: random.Random, service_of: Callable[[Mapping[str, str]], str],
) -> list[set[str]]:
    """Record every incident's series and say which fingerprints each incident owns.

    Roots' own series first, then in time order: a series two incidents both trip belongs to the
    incident whose root it is, else to the one that tripped it first. An incident left with no
    series of its own gets one rescued on a pod of its own (:func:`rescue`)."""
    flat = sorted(
        ((t, k, labels, ends, summary) for k, one in enumerate(series) for labels, t, ends, summary in one),
        key=lambda x: (service_of(x[2]) != roots[x[1]], x[0], x[1]),
    )
    owned: list[set[str]] = [set() for _ in series]
    for t, k, labels, ends, summary in flat:
        fp = book.add(labels, t, summary=summary.format(svc=service_of(labels)), ends_at=ends)
        if fp:
            owned[k].add(fp)
    for k, one in enumerate(series):
        if not owned[k]:
            fp = rescue(book, list(one), rng, service_of)
            if fp:
                owned[k].add(fp)
    return owned


_AUTHORS = ("alice", "bob", "carmen", "deploy-bot", "dmitri", "eun-ji", "farid", "gitops-sync", "hana", "ivan")


class ChangeBook:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.changes: list[Change] = []

    def add(self, service: str | None, kind: str, at: datetime, summary: str | None = None) -> str:
        rng = self.rng
        cid = f"chg-{len(self.changes):04d}-{rng.getrandbits(24):06x}"
        version = None
        if kind == "deployment":
            version = f"v{rng.randint(1, 9)}.{rng.randint(0, 60)}.{rng.randint(0, 30)}"
            summary = summary or f"Deploy {service} {version}"
        elif kind == "config":
            key = rng.choice(("timeouts", "pool size", "replicas", "rate limits", "cache ttl", "log level", "limits"))
            summary = summary or f"Update {service} config: {key}"
        elif kind == "feature-flag":
            summary = summary or f"Flag {rng.choice(('new-', 'exp-', 'ff-'))}{rng.getrandbits(16):04x} rollout changed"
        else:
            summary = summary or f"{kind} on {service}"
        self.changes.append(
            Change(id=cid, service=service, kind=kind, summary=summary, at=at,
                   author=rng.choice(_AUTHORS), environment="prod", version=version, source="cdevents")
        )
        return cid


def background_changes(book: ChangeBook, names: Iterable[str], since: datetime, until: datetime, count: int) -> None:
    """Innocent changes spread over a window: mostly deploys, some config, a few flag flips."""
    rng = book.rng
    pool = list(names)
    span = (until - since).total_seconds()
    for _ in range(count):
        svc = rng.choice(pool)
        kind = rng.choices(("deployment", "config", "feature-flag"), (0.7, 0.2, 0.1))[0]
        book.add(svc, kind, since + timedelta(seconds=rng.uniform(0, span)))


def align(t: datetime, base: datetime, step_s: int) -> datetime:
    """The first rule evaluation at or after t (evaluations every step_s seconds from base)."""
    d = (t - base).total_seconds()
    k = -(-d // step_s)
    return base + timedelta(seconds=k * step_s)


def note_degraded(out: Degraded, name: str, at: datetime, signals: Iterable[str] = ()) -> None:
    """Record in ``out`` (:attr:`World.degraded`) that a fault reached ``name`` at ``at``: the
    earliest time is kept, with the signals seen then and before."""
    known = out.get(name)
    if known is None or at < known[0]:
        out[name] = (at, frozenset(signals) | (known[1] if known else frozenset()))
