"""What ``incident_context`` answers: every part small, each with the call that fetches it in full.

Lists are cut to fit the token budget; each cut list has an ``*_omitted`` count beside it, and
each section's ``more`` names the tool and arguments that return the whole of it.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from opscontext.answers import Answer, quoted

# Whole seconds: sub-second digits cost tokens and tell a responder nothing.
Instant = Annotated[datetime, AfterValidator(lambda at: at.replace(microsecond=0))]


class More(BaseModel):
    """The call that returns a part in full."""

    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Alternative(BaseModel):
    service: str
    score: float
    evidence: str | None = None


class GroupPart(BaseModel):
    id: str = Field(description="As correlate_alerts reports it; a valid `subject`.")
    summary: str
    started_at: Instant = Field(description="First alert: when the incident began.")
    minutes_since_start: int
    alert_count: int
    services: list[str] = Field(description="Alerting services.")
    services_omitted: int = 0
    primary_contributor: str
    confidence: float = Field(description="Calibrated chance the primary is right.")
    uncertain_because: str | None = None
    evidence: list[str]
    evidence_omitted: int = 0
    alternatives: list[Alternative] = Field(default_factory=list)
    alternatives_omitted: int = 0
    other_groups: list[str] = Field(default_factory=list, description="Other groups involving it.")
    other_groups_omitted: int = 0
    more: More


class HealthLine(BaseModel):
    service: str
    user_facing: bool
    error_rate: float | None = Field(default=None, description="Failing share; null: no data.")
    latency_p99_seconds: float | None = None
    request_rate: float | None = None


class SloBurn(BaseModel):
    """One SLO as ``service_health`` evaluates it."""

    service: str
    user_facing: bool = False
    slo: str
    failing_now: float | None = Field(default=None, description="Bad share, last 5 min; null: no data.")
    error_budget_remaining: float | None = None
    burn_rate_1h: float | None = None
    burn_rate_6h: float | None = None
    alert: Literal["page", "ticket", "none", "unknown"] = "unknown"


class ImpactPart(BaseModel):
    summary: str = Field(description="What users feel, or what is not known about it.")
    basis: Literal["slo", "health", "alerts", "none"] = Field(
        description="What the summary stands on."
    )
    user_facing_alerting: list[str] = Field(default_factory=list)
    user_facing_alerting_omitted: int = 0
    health: list[HealthLine] = Field(default_factory=list)
    health_omitted: int = 0
    slo: list[SloBurn] = Field(default_factory=list)
    slo_omitted: int = 0
    more: More


class OnCallLine(BaseModel):
    person: str
    level: int
    contact: str | None = None


class StepLine(BaseModel):
    target: str
    after_minutes: int = Field(description="Minutes after the incident's start.")
    contact: str | None = None


class OwnerPart(BaseModel):
    service: str
    team: str | None = None
    chat_channel: str | None = None
    on_call: list[OnCallLine] = Field(default_factory=list)
    on_call_omitted: int = 0
    escalation_policy: str | None = None
    engaged: StepLine | None = Field(default=None, description="Last escalation step engaged.")
    next: StepLine | None = Field(default=None, description="Next step, timed from the incident start.")
    next_in_minutes: int | None = None
    more: More


class SuspectChange(BaseModel):
    service: str | None
    kind: str
    summary: str
    at: Instant
    minutes_before_start: int | None = Field(
        default=None, description="Negative: after the first alert."
    )
    relation: str
    score: float
    id: str | None = None
    author: str | None = None


class SuspectsPart(BaseModel):
    changes: list[SuspectChange]
    changes_omitted: int = 0
    more: More


class BlastPart(BaseModel):
    service: str
    impacted_total: int
    nearest: list[str]
    nearest_omitted: int = 0
    user_facing_reached: list[str]
    user_facing_reached_omitted: int = 0
    high_tier_reached: list[str]
    high_tier_reached_omitted: int = 0
    depends_on_total: int
    more: More


class RunbookPart(BaseModel):
    title: str
    section: str | None = None
    location: str
    resource: str | None = Field(default=None, description="MCP resource: the whole runbook.")
    excerpt: str | None = None
    other_runbooks_omitted: int = 0
    more: More


class IncidentContext(Answer):
    """One call's whole picture of an incident, within ``max_tokens``."""

    untrusted_fields: str = quoted("headline, next_steps, group, suspects, runbook, owners")
    subject: str
    subject_kind: Literal["service", "alert", "group"]
    since: Instant
    until: Instant
    headline: str
    next_steps: list[str]
    group: GroupPart | None = Field(description="Null: nothing alerts for the subject.")
    impact: ImpactPart | None = None
    owners: list[OwnerPart] = Field(
        description="The primary contributor's owner, then the asked service's."
    )
    suspects: SuspectsPart | None = None
    blast: BlastPart | None = None
    runbook: RunbookPart | None = None
    max_tokens: int
    tokens: int = Field(description="Its size in tokens, estimated to err high.")
    owners_omitted: int = 0
    notes_omitted: int = 0
    sources_omitted: int = 0

    # Unannotated on purpose: pydantic then publishes the model's own schema as the output schema
    # (an annotated return type would replace it); the serializer only leaves out optional nulls.
    @model_serializer(mode="wrap")
    def _lean(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        return lean(self, handler(self))


def lean(model: BaseModel, data: Any) -> Any:
    """``data`` (the dump of ``model``) without the optional fields that are null, at every depth:
    ``"detail": null`` on every ok source costs tokens and says nothing. Required fields stay."""
    if not isinstance(data, dict):
        return data
    optional = _optional(type(model))
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            if key not in optional:
                out[key] = value
            continue
        if isinstance(value, dict):
            attr = getattr(model, key, None)
            if isinstance(attr, BaseModel):
                value = lean(attr, value)
        elif isinstance(value, list) and value:
            attr = getattr(model, key, None)
            if isinstance(attr, list):
                value = [lean(m, v) if isinstance(m, BaseModel) else v for m, v in zip(attr, value, strict=True)]
        out[key] = value
    return out


@functools.cache
def _optional(cls: type[BaseModel]) -> frozenset[str]:
    """The names of ``cls``'s fields that may be left out when null (the briefing is measured and
    dumped about seven times a call: asking each field whether it is required was most of it)."""
    return frozenset(name for name, field in cls.model_fields.items() if not field.is_required())
