"""On-call schedules from iCalendar files: PagerDuty, Opsgenie and Grafana OnCall exports, or
calendars kept by hand. Capability: OnCallSource."""

from __future__ import annotations

from connectors.ical.config import CalendarSettings, IcalConfig
from connectors.ical.connector import IcalConnector
from opscontext.registry import ConnectorSpec

spec = ConnectorSpec(
    type="ical",
    summary="On-call schedules from .ics files (PagerDuty, Opsgenie, Grafana OnCall exports).",
    config_model=IcalConfig,
    factory=IcalConnector,
    cacheable=False,
    example={"type": "ical", "path": "oncall"},
)

__all__ = ["CalendarSettings", "IcalConfig", "IcalConnector", "spec"]
