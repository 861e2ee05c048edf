"""ServiceNow Table API records, as requested with ``sysparm_display_value=all``.

With ``all`` every field arrives as ``{"display_value": ..., "value": ...}``: ``value`` is the
database value (sys_id for references, UTC ``YYYY-MM-DD HH:MM:SS`` for dates, the choice code
for choices) and ``display_value`` what a person sees (a referenced record's name, a date in the
requesting user's time zone, a choice label). One request thus gives us the names we report and
the raw UTC dates we compute with, so dates are never read from display values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SnField(Wire):
    value: str = ""
    display_value: str = ""

    @field_validator("value", "display_value", mode="before")
    @classmethod
    def _text(cls, raw: Any) -> str:
        # Booleans and numbers are strings on the wire already; be lenient about nulls.
        return "" if raw is None else str(raw)

    @property
    def label(self) -> str:
        return self.display_value or self.value

    def at(self) -> datetime | None:
        """The raw value read as a UTC timestamp; None when empty or unreadable."""
        try:
            return datetime.strptime(self.value, DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return None


EMPTY = SnField()


def _as_field(raw: Any) -> Any:
    # A field asked for with display_value=all is an object; a plain scalar (instances that
    # ignore the flag, or older API versions) is treated as both value and display value.
    if isinstance(raw, dict) or raw is None:
        return raw or {}
    return {"value": raw, "display_value": raw}


class Record(Wire):
    sys_id: SnField

    @field_validator("*", mode="before")
    @classmethod
    def _fields(cls, raw: Any) -> Any:
        return _as_field(raw)


class CiRecord(Record):
    name: SnField
    sys_class_name: SnField = EMPTY
    short_description: SnField = EMPTY
    operational_status: SnField = EMPTY
    busines_criticality: SnField = EMPTY  # sic: the field's name on cmdb_ci_service
    business_criticality: SnField = EMPTY  # some classes and custom tables spell it right
    support_group: SnField = EMPTY
    managed_by_group: SnField = EMPTY
    owned_by: SnField = EMPTY
    environment: SnField = EMPTY


class GroupRecord(Record):
    name: SnField
    email: SnField = EMPTY
    parent: SnField = EMPTY  # manager and description have no place in Team, so are not asked for


class MemberRecord(Record):
    user: SnField
    group: SnField


class UserRecord(Record):
    user_name: SnField = EMPTY
    name: SnField = EMPTY
    email: SnField = EMPTY
    phone: SnField = EMPTY
    mobile_phone: SnField = EMPTY


class RelationRecord(Record):
    parent: SnField
    child: SnField
    type: SnField


class ChangeRecord(Record):
    number: SnField = EMPTY
    short_description: SnField = EMPTY
    state: SnField = EMPTY
    type: SnField = EMPTY
    start_date: SnField = EMPTY
    end_date: SnField = EMPTY
    work_start: SnField = EMPTY
    work_end: SnField = EMPTY
    cmdb_ci: SnField = EMPTY
    assigned_to: SnField = EMPTY
    requested_by: SnField = EMPTY


class IncidentRecord(Record):
    number: SnField = EMPTY
    short_description: SnField = EMPTY
    priority: SnField = EMPTY
    severity: SnField = EMPTY
    state: SnField = EMPTY
    opened_at: SnField = EMPTY
    resolved_at: SnField = EMPTY
    sys_updated_on: SnField = EMPTY
    cmdb_ci: SnField = EMPTY
    assignment_group: SnField = EMPTY


class RotaRecord(Record):
    name: SnField = EMPTY
    group: SnField = EMPTY


class OnCallEntry(Wire):
    """One element of the On-Call Scheduling ``whoisoncall`` result (OnCallRotation.whoIsOnCall)."""

    userId: str = ""
    group: str = ""
    rota: str = ""
    roster: str = ""
    order: int = 1
    isOverride: bool = False
    isDevice: bool = False

    @field_validator("order", mode="before")
    @classmethod
    def _order(cls, raw: Any) -> Any:
        return 1 if raw in (None, "") else raw


def fields_of(model: type[Record]) -> str:
    """The ``sysparm_fields`` value asking for exactly what ``model`` reads."""
    return ",".join(model.model_fields)
