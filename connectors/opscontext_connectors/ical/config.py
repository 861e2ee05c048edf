"""Configuration of the ``ical`` connector: where the calendars are and what each one means."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from opscontext.config import FileConnectorConfig


class CalendarSettings(BaseModel):
    """What one schedule stands for, when its name does not say it well enough."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    team: str | None = Field(default=None, description="Catalog team the schedule belongs to.")
    level: int | None = Field(
        default=None, ge=1, le=10, description="Escalation level the schedule covers: 1 = primary."
    )
    policy: str | None = Field(default=None, description="Escalation policy the schedule serves.")


class IcalConfig(FileConnectorConfig):
    """`path`: an .ics file or a directory of them; per-calendar team and escalation level."""

    calendars: dict[str, CalendarSettings] = Field(
        default_factory=dict,
        description=(
            "Per-schedule team and level, keyed by file stem or calendar name (X-WR-CALNAME), "
            'e.g. { "payments-primary" = { team = "payments", level = 1 } }.'
        ),
    )
    timezone: str = Field(
        default="UTC",
        description=(
            "Zone for all-day and floating events of calendars that name no X-WR-TIMEZONE "
            "(an all-day shift starts at midnight there)."
        ),
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            hint = "use an IANA name such as Europe/Berlin"
            raise ValueError(f"unknown time zone {value!r}; {hint}") from None
        return value

    def settings_for(self, *keys: str) -> CalendarSettings:
        """The first ``calendars`` entry matching a key (case-insensitive), else empty settings."""
        table = {k.casefold(): v for k, v in self.calendars.items()}
        for key in keys:
            found = table.get(key.casefold())
            if found is not None:
                return found
        return CalendarSettings()
