"""PagerDuty REST API v2 payloads, as documented, keeping only the fields we map.

Unknown fields are ignored and optional ones may be absent, so a PagerDuty release that adds or
drops a field does not break parsing. References (`*_reference`) carry `id` and `summary`; the
same models accept the full objects that `include[]=` puts in their place.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger(__name__)


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Ref(Wire):
    """A `*_reference` or an included full object: both have `id` and `summary`."""

    id: str
    type: str | None = None
    summary: str | None = None
    name: str | None = None  # present when the full object was included
    html_url: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.summary or self.id




class ContactMethod(Wire):
    type: str | None = None  # email_contact_method, phone_contact_method, sms_contact_method, ...
    address: str | None = None
    country_code: int | None = None


class PDService(Wire):
    id: str
    name: str
    description: str | None = None
    status: str | None = None
    html_url: str | None = None
    teams: list[Ref] = Field(default_factory=list)
    escalation_policy: Ref | None = None


class PDTeam(Wire):
    id: str
    name: str
    description: str | None = None
    html_url: str | None = None
    parent: Ref | None = None


class PDUser(Wire):
    id: str
    name: str
    email: str | None = None
    html_url: str | None = None
    teams: list[Ref] = Field(default_factory=list)
    contact_methods: list[ContactMethod] = Field(default_factory=list)


class Relationship(Wire):
    """One entry of `/service_dependencies/technical_services/{id}`: dependent needs supporting."""

    supporting_service: Ref
    dependent_service: Ref


class OnCallUser(Ref):
    email: str | None = None  # only with include[]=users


class OnCallPolicy(Ref):
    teams: list[Ref] = Field(default_factory=list)  # only with include[]=escalation_policies


class PDOnCall(Wire):
    user: OnCallUser
    schedule: Ref | None = None  # null for a user targeted directly by an escalation rule
    escalation_policy: OnCallPolicy
    escalation_level: int = 1
    start: datetime | None = None  # null: a permanent on-call
    end: datetime | None = None  # null: never goes off call


class EscalationRule(Wire):
    escalation_delay_in_minutes: int = Field(default=0, ge=0)
    targets: list[Ref] = Field(default_factory=list)


class PDEscalationPolicy(Wire):
    id: str
    name: str
    num_loops: int = 0
    escalation_rules: list[EscalationRule] = Field(default_factory=list)
    services: list[Ref] = Field(default_factory=list)
    teams: list[Ref] = Field(default_factory=list)


class PDIncident(Wire):
    id: str
    incident_number: int | None = None
    title: str | None = None
    summary: str | None = None
    status: str  # triggered | acknowledged | resolved
    incident_key: str | None = None
    urgency: str | None = None  # high | low
    priority: Ref | None = None
    service: Ref | None = None
    escalation_policy: Ref | None = None
    teams: list[Ref] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    last_status_change_at: datetime | None = None
    html_url: str | None = None


class PDAlert(Wire):
    id: str
    summary: str | None = None
    status: str | None = None  # triggered | resolved
    alert_key: str | None = None
    severity: str | None = None  # critical | error | warning | info
    suppressed: bool = False
    created_at: datetime
    service: Ref | None = None
    html_url: str | None = None


class ChangeLink(Wire):
    href: str
    text: str | None = None


class PDChangeEvent(Wire):
    id: str
    summary: str
    timestamp: datetime
    source: str | None = None
    services: list[Ref] = Field(default_factory=list)
    links: list[ChangeLink] = Field(default_factory=list)
    custom_details: dict[str, Any] | None = None
    html_url: str | None = None
