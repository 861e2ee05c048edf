"""Capability Protocols: what a connector can answer, independent of which vendor answers it.

A connector class implements any number of these; the registry indexes built instances by the
Protocols they satisfy, and tools ask the hub for "every AlertSource", never for a vendor.

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
from typing import Protocol, runtime_checkable

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


# Capability name -> Protocol, in the order tools and docs list them.
CAPABILITIES: dict[str, type] = {
    "catalog": ServiceCatalog,
    "topology": TopologySource,
    "changes": ChangeSource,
    "alerts": AlertSource,
    "oncall": OnCallSource,
    "escalation": EscalationSource,
    "runbooks": RunbookSource,
    "health": HealthSource,
    "slos": SloSource,
    "sli": SliSource,
}


def capabilities_of(obj: object) -> list[str]:
    """Names of the capabilities a connector class or instance implements."""
    if isinstance(obj, type):
        return [name for name, proto in CAPABILITIES.items() if issubclass(obj, proto)]
    return [name for name, proto in CAPABILITIES.items() if isinstance(obj, proto)]


@runtime_checkable
class Checkable(Protocol):
    """Optional, not a capability: one cheap authenticated call for `opscontext doctor`.

    Returns a one-line description of what it found ("authenticated; 42 services visible") or
    raises a SourceError saying what is wrong. Connectors without it are checked by calling each
    of their capabilities once.
    """

    async def check(self) -> str: ...
