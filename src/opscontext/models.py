"""Domain models: the one vocabulary every connector maps into and every tool answers from.

Connectors translate vendor wire shapes into these; nothing above the connector layer ever sees a
vendor's JSON. All timestamps are timezone-aware UTC. Models are frozen so cached values can be
shared between concurrent requests without copying.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

# One set object per distinct combination of explicitly set fields, shared by every frozen model
# that has it (see Frozen).
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def _shared_fields_set(fields: set[str]) -> set[str]:
    key = frozenset(fields)
    shared = _FIELDS_SETS.get(key)
    if shared is None:
        shared = _FIELDS_SETS[key] = fields
    return shared


class Frozen(BaseModel):
    """Immutable domain model. Instances with the same explicitly set fields share one
    ``model_fields_set`` object: pydantic gives every instance its own set (about 730 bytes for
    five or more names, more than the rest of a dependency edge), which at 250k edges and 100k
    alerts was ~250 MiB of identical sets. Sharing is safe because a frozen model never adds to
    its set in place, and ``model_copy`` copies the set before updating it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_post_init(self, context: Any, /) -> None:
        object.__setattr__(self, "__pydantic_fields_set__", _shared_fields_set(self.__pydantic_fields_set__))

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copied = super().model_copy(update=update, deep=deep)
        object.__setattr__(copied, "__pydantic_fields_set__", _shared_fields_set(copied.__pydantic_fields_set__))
        return copied


def _aware(value: datetime | None) -> datetime | None:
    """Naive datetimes are read as UTC; aware ones are normalised to UTC. None stays None."""
    return None if value is None else _utc(value)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def unset_before(value: datetime | None, start: datetime | None) -> datetime | None:
    """``value``, or None when it lies before ``start`` (naive times read as UTC): an alert's end
    or update before it began is a placeholder, such as Go's zero time ``0001-01-01T00:00:00Z``
    that Alertmanager's and Grafana's webhooks send as a firing alert's ``endsAt``."""
    if value is None or start is None:
        return value
    return None if _utc(value) < _utc(start) else value


class Link(Frozen):
    url: str
    title: str | None = None
    type: str | None = None  # "runbook", "dashboard", "chat", "repo", ...


class Service(Frozen):
    """Anything that can fail and be depended on: components, resources, external providers."""

    name: str  # canonical identity: the catalog name, lower-case, unique across the world
    title: str | None = None
    kind: str = "component"  # component | resource | system | api | external
    type: str | None = None  # service, website, worker, database, queue, ...
    description: str | None = None
    owner: str | None = None  # canonical team name
    system: str | None = None
    lifecycle: str | None = None
    tier: str | None = None  # e.g. "tier-1"; lower number = more critical
    user_facing: bool = False
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    annotations: dict[str, str] = Field(default_factory=dict)
    source: str = ""  # connector instance that reported it


class Person(Frozen):
    name: str  # canonical user id (catalog user name, email local part, vendor id)
    display_name: str | None = None
    email: str | None = None
    phone: str | None = None
    chat: str | None = None
    source: str = ""


class Team(Frozen):
    name: str
    title: str | None = None
    email: str | None = None
    chat_channel: str | None = None
    members: tuple[str, ...] = ()  # Person.name values
    parent: str | None = None
    links: tuple[Link, ...] = ()
    source: str = ""


class CatalogSnapshot(Frozen):
    """Everything a catalog knows at one moment. Fetched and cached as one unit."""

    services: tuple[Service, ...] = ()
    teams: tuple[Team, ...] = ()
    people: tuple[Person, ...] = ()


class EdgeProvenance(StrEnum):
    DECLARED = "declared"  # catalog / CMDB says so
    OBSERVED = "observed"  # telemetry saw traffic
    BOTH = "both"


class DependencyEdge(Frozen):
    """`dependent` needs `dependency`: failure flows from dependency to dependent."""

    dependent: str
    dependency: str
    kind: str = "depends_on"  # depends_on | api | calls | dependency_of
    provenance: EdgeProvenance = EdgeProvenance.DECLARED
    source: str = ""
    request_rate: float | None = None  # requests/s, observed edges only
    error_rate: float | None = None  # fraction 0..1, observed edges only


class OnCallShift(Frozen):
    person: str  # display name
    email: str | None = None
    team: str | None = None  # canonical team name if known
    schedule: str  # schedule or rotation name
    level: int = 1  # escalation level: 1 = primary
    policy: str | None = None  # escalation policy this shift serves, when the source knows
    start: datetime
    end: datetime
    # False when the source says who is on call but not until when (ServiceNow's whoisoncall):
    # `end` is then only a short validity span and must not be shown as a handover time.
    end_known: bool = True
    source: str = ""

    _utc = field_validator("start", "end")(_aware)


class EscalationStep(Frozen):
    after_minutes: int = Field(ge=0)  # minutes unresolved before this step engages
    target: str  # who: a person, role, schedule or vendor bridge
    kind: Literal["person", "role", "schedule", "team", "vendor", "other"] = "other"
    contact: str | None = None  # how to reach them: phone, email, bridge URL, channel


class EscalationPolicy(Frozen):
    name: str
    team: str | None = None  # canonical team name
    services: tuple[str, ...] = ()  # raw service names; empty = every service the team owns
    steps: tuple[EscalationStep, ...] = ()
    source: str = ""


class Change(Frozen):
    id: str
    service: str | None  # raw service name as the source spells it; resolved by the hub
    kind: str  # deployment | rollback | upgrade | config | merge | environment | incident | ...
    summary: str
    at: datetime
    author: str | None = None
    link: str | None = None
    environment: str | None = None
    version: str | None = None
    source: str = ""

    _utc = field_validator("at")(_aware)


class AlertState(StrEnum):
    ACTIVE = "active"
    SUPPRESSED = "suppressed"  # silenced or inhibited
    RESOLVED = "resolved"
    UNPROCESSED = "unprocessed"


class Alert(Frozen):
    fingerprint: str
    alertname: str
    service: str | None = None  # raw, from the connector's configured service labels
    severity: str | None = None  # critical | warning | info | ...
    summary: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime
    ends_at: datetime | None = None  # None or a time in the future while firing
    updated_at: datetime | None = None
    state: AlertState = AlertState.ACTIVE
    generator_url: str | None = None
    source: str = ""

    _utc = field_validator("starts_at", "ends_at", "updated_at")(_aware)

    @field_validator("ends_at", "updated_at")
    @classmethod
    def _unset_before_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        """A time before the alert began means "not set". Alertmanager's and Grafana's webhooks
        send ``endsAt: 0001-01-01T00:00:00Z`` (Go's zero time) for every firing alert; read as an
        end, it dropped each of them from every window as long resolved."""
        return unset_before(value, info.data.get("starts_at"))

    def active_during(self, window: TimeWindow) -> bool:
        """True when the alert was firing at some point inside the window."""
        if self.starts_at > window.until:
            return False
        return self.ends_at is None or self.ends_at >= window.since


class ServiceHealth(Frozen):
    """How a service is serving its callers at one instant: experience, not component health.

    A metric the source has no series for is None, never 0: "no data" and "no errors" differ.
    """

    service: str  # the name asked for, spelled exactly as asked
    error_rate: float | None = Field(default=None, ge=0, le=1)  # fraction of requests failing
    latency_p99_seconds: float | None = Field(default=None, ge=0)
    request_rate: float | None = Field(default=None, ge=0)  # requests/s
    at: datetime  # the instant the values were evaluated at
    source: str = ""

    _utc = field_validator("at")(_aware)


class RunbookSection(Frozen):
    heading: str
    anchor: str
    body: str


class Runbook(Frozen):
    title: str
    location: str  # file path or URL, for the human to open
    services: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()  # alert names this runbook answers
    tags: tuple[str, ...] = ()
    summary: str | None = None  # text before the first section
    sections: tuple[RunbookSection, ...] = ()
    source: str = ""


class TimeWindow(Frozen):
    since: datetime
    until: datetime

    _utc = field_validator("since", "until")(_aware)

    @property
    def duration(self) -> timedelta:
        return self.until - self.since

    def contains(self, at: datetime) -> bool:
        return self.since <= at <= self.until


class SourceState(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"  # answered, but partly: some files or entries were left out (see detail)
    STALE = "stale"  # the source failed; cached data of the given age was used
    FAILED = "failed"


class SourceStatus(Frozen):
    source: str  # connector instance name
    type: str  # connector type
    capability: str
    state: SourceState
    age_seconds: float | None = None  # age of the data served (0 for fresh)
    detail: str | None = None  # why it failed, in words a person can act on
    items: int | None = None


# -- Service level objectives (OpenSLO) and their indicators --------------------------------------


class RatioSli(Frozen):
    """How an SLO's indicator is read from a metrics source: OpenSLO's ``ratioMetric``.

    ``kind`` says what ``numerator`` counts: good events or bad events (with ``total`` counting
    all events), or, for a precomputed ratio (``raw``), the share of successes or failures. A query
    may hold the ``{{.window}}`` placeholder, which the evaluator replaces with each window.
    """

    kind: Literal["good", "bad", "raw_success", "raw_failure"]
    numerator: str  # PromQL
    total: str | None = None  # PromQL; None for a raw ratio
    counter: bool = True  # the series are monotonically increasing counters


class Slo(Frozen):
    """One objective of an SLO: a target share of good events over a window, for one service."""

    name: str  # unique within its source: metadata.name, plus "/<objective>" when it has several
    display_name: str | None = None
    service: str  # raw, as the SLO spells it; resolved against the catalog by the caller
    description: str | None = None
    target: float = Field(ge=0, lt=1)  # e.g. 0.999: the error budget is 1 - target
    window_seconds: int = Field(gt=0)  # the SLO's time window (e.g. 28 days)
    window: str  # as written, e.g. "28d rolling" or "1M calendar (evaluated as a rolling 30d)"
    budgeting_method: str = "Occurrences"
    sli: RatioSli
    metric_source: str | None = None  # OpenSLO DataSource / metricSourceRef the SLI names
    evaluator: str | None = None  # connector instance configured to evaluate its SLI, if any
    location: str = ""  # file that defines it, for the person who fixes it
    source: str = ""


class SliRequest(Frozen):
    """Asks an SLI evaluator for one SLO's error ratio over several windows ending at one instant."""

    slo: str  # Slo.name
    evaluator: str  # the connector instance that should answer; others ignore the request
    sli: RatioSli
    windows: tuple[int, ...]  # window lengths in seconds


class SliReading(Frozen):
    """An SLO's error ratio over one window ending at ``at``; None when there is no data."""

    slo: str
    window_seconds: int
    error_ratio: float | None = Field(default=None, ge=0, le=1)  # bad / total (1 - SLI)
    events: float | None = Field(default=None, ge=0)  # total events in the window; None for raw ratios
    at: datetime
    error: str | None = None  # why this window could not be evaluated (a refused query, say)
    source: str = ""

    _utc = field_validator("at")(_aware)
