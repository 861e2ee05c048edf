"""On-call schedules from iCalendar files: PagerDuty, Opsgenie and Grafana OnCall exports, or
calendars kept by hand. Capability: OnCallSource."""

from __future__ import annotations

from opscontext.registry import ConnectorSpec
from opscontext_connectors.ical.config import CalendarSettings, IcalConfig
from opscontext_connectors.ical.connector import IcalConnector

spec = ConnectorSpec(
    type="ical",
    summary="On-call schedules from .ics files (PagerDuty, Opsgenie, Grafana OnCall exports).",
    config_model=IcalConfig,
    factory=IcalConnector,
    cacheable=False,
    example={"type": "ical", "path": "oncall"},
)

__all__ = ["CalendarSettings", "IcalConfig", "IcalConnector", "spec"]
