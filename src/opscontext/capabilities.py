"""Capability Protocols, and the table that declares each capability once.

A connector class implements any number of these Protocols (it subclasses them, so mypy checks
its signatures); the registry indexes built instances by the Protocols they satisfy, and tools
ask the hub for "every AlertSource", never for a vendor. Below the Protocols, ``CAPABILITIES``
declares each one as a :class:`~opscontext.capability.Capability`: its method, item model, cache
family and TTL default, and what doctor asks. Adding a capability is one Protocol plus one entry.

Contract shared by every method below:
- Called by the hub only, concurrently with other instances, under a per-source timeout; a method
  may be cancelled at any await point and must not leave shared state half-updated.
- Returns domain models (``opscontext.models``) with ``source`` set to the instance name.
- Raises only ``opscontext.errors.SourceError`` subclasses for failures of the source (down,
  auth, garbage). The hub turns those into a per-source status and serves other sources or stale
  cache; any other exception is reported as a connector bug in the same way.
- Windowed methods may return items outside the window (the hub filters); they must not omit
  items inside it unless they say so by raising.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from opscontext.capability import Ask, Capability
from opscontext.models import (
    Alert,
    CatalogSnapshot,
    Change,
    DependencyEdge,
    EscalationPolicy,
    OnCallShift,
    Runbook,
    ServiceHealth,
    SliReading,
    SliRequest,
    Slo,
    TimeWindow,
)


@runtime_checkable
class ServiceCatalog(Protocol):
    """Services, teams and people: who owns what. Bulk data, cached long."""

    async def catalog(self) -> CatalogSnapshot: ...


@runtime_checkable
class TopologySource(Protocol):
    """Dependency edges, declared (catalog/CMDB) or observed (telemetry). Bulk, cached long."""

    async def edges(self) -> list[DependencyEdge]: ...


@runtime_checkable
class ChangeSource(Protocol):
    """Deploys, rollbacks, config and infrastructure changes that happened in ``window``."""

    async def changes(self, window: TimeWindow) -> list[Change]: ...


@runtime_checkable
class AlertSource(Protocol):
    """Alerts that were active at some point in ``window`` (firing, suppressed or resolved)."""

    async def alerts(self, window: TimeWindow) -> list[Alert]: ...


@runtime_checkable
class OnCallSource(Protocol):
    """Who is on call at instant ``at``: one shift per person and escalation level."""

    async def on_call(self, at: datetime) -> list[OnCallShift]: ...


@runtime_checkable
class EscalationSource(Protocol):
    """Escalation policies: time thresholds per team ("15 min unresolved -> platform lead")."""

    async def escalation_policies(self) -> list[EscalationPolicy]: ...


@runtime_checkable
class RunbookSource(Protocol):
    """Runbooks with their sections, for ranking by service, alert name and free text."""

    async def runbooks(self) -> list[Runbook]: ...


@runtime_checkable
class HealthSource(Protocol):
    """How services are serving at instant ``at``: error rate, p99 latency and request rate.

    Called by the hub for the few services a tool is about to show (a blast radius: the failing
    service and its nearest neighbours, at most a few dozen names), never for a whole catalog.
    ``services`` are catalog names; the answer holds at most one entry per name the source has
    data for, spelled exactly as asked, and omits the rest. Empty means no data for any of them
    (or nothing was asked). A metric the source cannot measure for a service is None in its
    entry, never 0. Raises SourceError when the source cannot be asked or answers garbage; the
    caller then shows the answer without health and names the failed source.
    """

    async def health(self, services: Sequence[str], at: datetime) -> list[ServiceHealth]: ...


@runtime_checkable
class SloSource(Protocol):
    """Service level objectives (OpenSLO files): target, window and how to read the SLI. Bulk.

    Returns every objective the source defines, each with ``service`` as the definition spells it
    (the caller resolves it against the catalog). An SLO the source cannot use (an unsupported
    indicator, a dangling reference) is left out and reported through ``problems()``.
    """

    async def slos(self) -> list[Slo]: ...


@runtime_checkable
class SliSource(Protocol):
    """Evaluates SLIs: an SLO's error ratio over each asked window ending at instant ``at``.

    Called by the hub with every request of one tool call; an instance answers only the requests
    whose ``evaluator`` is its own name and ignores the rest (returns nothing for them). For each
    request it answers one reading per window, with ``error_ratio`` None when there were no events
    (never 0: "no traffic" is not "no errors"), and ``error`` set when that SLO's query was refused.
    Raises SourceError when the source cannot be asked at all; the caller then shows the SLOs
    without burn rates and names the failed source.
    """

    async def sli_ratios(self, requests: Sequence[SliRequest], at: datetime) -> list[SliReading]: ...


# -- the table: each capability declared once --------------------------------------------------
# Adding a capability is a Protocol above plus one entry here (and a tool that asks for it through
# ``hub.gather(ENTRY, ...)``); the hub, settings, doctor and opscontext.testing read the rest.


def _active(alert: Alert, window: TimeWindow) -> bool:
    return alert.active_during(window)


def _inside(change: Change, window: TimeWindow) -> bool:
    return window.contains(change.at)


def _on_shift(shift: OnCallShift, at: datetime) -> bool:
    return shift.start <= at < shift.end


def _asked(health: ServiceHealth, services: Sequence[str], at: datetime) -> bool:
    # A stale answer may be for another set of services: keep only the ones asked about.
    return health.service in services


def _requested(reading: SliReading, requests: Sequence[SliRequest], at: datetime) -> bool:
    # A stale answer may be for other SLOs: keep only the ones asked about.
    return any(request.slo == reading.slo for request in requests)


def _services(snapshot: CatalogSnapshot) -> Sequence[object]:
    return snapshot.services


def _none(ask: Ask) -> tuple[object, ...]:
    return ()


def _window(ask: Ask) -> tuple[object, ...]:
    return (ask.window,)


def _now(ask: Ask) -> tuple[object, ...]:
    return (ask.now,)


def _services_now(ask: Ask) -> tuple[object, ...]:
    return (ask.services, ask.now)


def _nothing_now(ask: Ask) -> tuple[object, ...]:
    return ((), ask.now)  # nothing to evaluate: the call itself (auth, reachability) is the probe


CATALOG = Capability(
    name="catalog", protocol=ServiceCatalog, method=ServiceCatalog.catalog, item=CatalogSnapshot,
    ttl=600, bulk=True, probe="the whole catalog", sample=_none, unpack=_services,
)
TOPOLOGY = Capability(
    name="topology", protocol=TopologySource, method=TopologySource.edges, item=DependencyEdge,
    ttl=600, bulk=True, probe="every dependency edge", sample=_none,
)
CHANGES = Capability(
    name="changes", protocol=ChangeSource, method=ChangeSource.changes, item=Change,
    ttl=30, bulk=False, probe="the changes of the last hour", sample=_window, keep=_inside,
)
ALERTS = Capability(
    name="alerts", protocol=AlertSource, method=AlertSource.alerts, item=Alert,
    ttl=10, bulk=False, probe="the alerts active in the last hour", sample=_window, keep=_active,
)
ONCALL = Capability(
    name="oncall", protocol=OnCallSource, method=OnCallSource.on_call, item=OnCallShift,
    ttl=60, bulk=False, probe="the shifts on call now", sample=_now, keep=_on_shift,
)
ESCALATION = Capability(
    name="escalation", protocol=EscalationSource, method=EscalationSource.escalation_policies,
    item=EscalationPolicy, ttl=600, bulk=True, probe="every escalation policy", sample=_none,
)
RUNBOOKS = Capability(
    name="runbooks", protocol=RunbookSource, method=RunbookSource.runbooks, item=Runbook,
    ttl=600, bulk=True, probe="every runbook", sample=_none,
)
HEALTH = Capability(
    name="health", protocol=HealthSource, method=HealthSource.health, item=ServiceHealth,
    ttl=15, bulk=False, probe="the health of a service name no one uses (the query runs, nothing matches)",
    sample=_services_now, keep=_asked, ttl_doc="Error rate, latency and traffic per service.",
)

SLOS = Capability(
    name="slos", protocol=SloSource, method=SloSource.slos, item=Slo,
    ttl=600, bulk=True, probe="every SLO definition", sample=_none, ttl_doc="SLO definitions.",
)
SLI = Capability(
    name="sli", protocol=SliSource, method=SliSource.sli_ratios, item=SliReading,
    ttl=15, bulk=False, probe="an SLI evaluation with nothing to evaluate", sample=_nothing_now, keep=_requested,
    ttl_doc="SLI error ratios and burn rates.",
)

# Capability name -> declaration, in the order tools and docs list them.
CAPABILITIES: dict[str, Capability[..., Any]] = {
    c.name: c for c in (CATALOG, TOPOLOGY, CHANGES, ALERTS, ONCALL, ESCALATION, RUNBOOKS, HEALTH, SLOS, SLI)
}


def capabilities_of(obj: object) -> list[str]:
    """Names of the capabilities a connector class or instance implements."""
    if isinstance(obj, type):
        return [name for name, cap in CAPABILITIES.items() if issubclass(obj, cap.protocol)]
    return [name for name, cap in CAPABILITIES.items() if isinstance(obj, cap.protocol)]


@runtime_checkable
class Checkable(Protocol):
    """Optional, not a capability: one cheap authenticated call for `opscontext doctor`.

    Returns a one-line description of what it found ("authenticated; 42 services visible") or
    raises a SourceError saying what is wrong. Connectors without it are checked by calling each
    of their capabilities once.
    """

    async def check(self) -> str: ...
