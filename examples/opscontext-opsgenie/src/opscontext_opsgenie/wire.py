"""Opsgenie's answers as it documents them (Schedule API, Who is On Call API), only the fields used.

Unknown fields are ignored: Opsgenie adds fields, and a connector must not break when it does.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Wire(BaseModel):
    """Base of the wire models: lenient about fields Opsgenie adds."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class OwnerTeam(Wire):
    """The team a schedule belongs to."""

    id: str = ""
    name: str


class Schedule(Wire):
    """One entry of ``GET /v2/schedules``."""

    id: str
    name: str
    enabled: bool = True
    owner_team: OwnerTeam | None = Field(default=None, alias="ownerTeam")


class Schedules(Wire):
    """``GET /v2/schedules``: every schedule the key can see, in one answer."""

    data: list[Schedule]


class ScheduleRef(Wire):
    """The schedule an on-call answer is about."""

    id: str
    name: str


class OnCalls(Wire):
    """``data`` of ``GET /v2/schedules/{id}/on-calls?flat=true``: usernames on call at ``date``."""

    parent: ScheduleRef = Field(alias="_parent")
    recipients: list[str] = Field(default_factory=list, alias="onCallRecipients")


class OnCallsAnswer(Wire):
    """The envelope of a Who is On Call answer."""

    data: OnCalls
