"""PagerDuty: catalog, declared topology, on-call, escalation, incidents and change events.

Two reads go out once per item, ``max_concurrency`` at a time: the dependencies of each service
(topology) and, with ``expand_incident_alerts``, the alerts inside each incident. One item that
cannot be read costs only that item: its dependencies are missing, or its incident is shown as
one alert, and the answer is reported degraded naming it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from itertools import chain
from urllib.parse import quote

from opscontext.capabilities import (
    AlertSource,
    ChangeSource,
    EscalationSource,
    OnCallSource,
    ServiceCatalog,
    TopologySource,
)
from opscontext.errors import SourceDataError, SourceError, SourceNotFoundError
from opscontext.items import read_each
from opscontext.models import (
    Alert,
    CatalogSnapshot,
    Change,
    DependencyEdge,
    EscalationPolicy,
    OnCallShift,
    TimeWindow,
)
from opscontext.registry import ConnectorContext
from opscontext.wire import parse_each
from opscontext_connectors.pagerduty.client import PagerDutyClient, Record, pd_time
from opscontext_connectors.pagerduty.config import PagerDutyConfig
from opscontext_connectors.pagerduty.events import alert_in_incident, incident_alert, to_change
from opscontext_connectors.pagerduty.mapping import to_catalog, to_edges, to_policy, to_shift
from opscontext_connectors.pagerduty.wire import (
    PDAlert,
    PDChangeEvent,
    PDEscalationPolicy,
    PDIncident,
    PDOnCall,
    PDService,
    PDTeam,
    PDUser,
    Relationship,
)

log = logging.getLogger(__name__)

OPEN_STATUSES = ["triggered", "acknowledged"]


def halts(error: SourceError) -> bool:
    """Errors after which every further request would fail too: a rejected key, or a rate limit
    still refusing after the retries (asking on would only prolong it)."""
    return error.status in (401, 429)


class PagerDutyConnector(
    ServiceCatalog, TopologySource, OnCallSource, EscalationSource, AlertSource, ChangeSource
):
    """PagerDuty REST API v2: services, teams and users as a catalog, declared technical-service
    dependencies, who is on call, escalation policies, incidents (or their alerts) and change
    events. Every call is a GET with a read-only API key."""

    def __init__(self, ctx: ConnectorContext[PagerDutyConfig]):
        self.name = ctx.name
        self.config = ctx.config
        self.client = PagerDutyClient(ctx.http_client(), ctx.config, instance=ctx.name)

    async def check(self) -> str:
        # REST API keys are account-level, so /users/me is refused; /abilities works for both.
        body = await self.client.json.get_json("/abilities")
        abilities = body.get("abilities") if isinstance(body, dict) else None
        if not isinstance(abilities, list):
            raise SourceDataError(
                f"{self.client.json.url_of('/abilities')} answered without an `abilities` list",
                instance=self.name,
            )
        return f"authenticated; account has {len(abilities)} abilities"

    async def _services(self) -> list[PDService]:
        # References in each service already carry team and policy names, so no include[].
        records = await self.client.list_all("/services", "services")
        return parse_each(PDService, records, instance=self.name)

    async def catalog(self) -> CatalogSnapshot:
        services = await self._services()
        teams = await self.client.list_all("/teams", "teams")
        # Users list their teams, so membership costs no per-team call; contact methods ride along.
        users = await self.client.list_all("/users", "users", {"include[]": ["contact_methods"]})
        return to_catalog(
            services,
            parse_each(PDTeam, teams, instance=self.name),
            parse_each(PDUser, users, instance=self.name),
            self.name,
        )

    async def edges(self) -> list[DependencyEdge]:
        services = await self._services()

        async def dependencies(service: PDService) -> list[Record]:
            path = f"/service_dependencies/technical_services/{quote(service.id, safe='')}"
            try:
                return await self.client.get_list(path, "relationships")
            except SourceNotFoundError:
                log.debug(
                    "%s: service %s vanished while listing dependencies", self.name, service.id
                )
                return []

        read = await read_each(
            services,
            dependencies,
            name=lambda service: f"{service.name} ({service.id})",
            noun="service dependency lists",
            instance=self.name,
            limit=self.config.max_concurrency,
            halts=halts,
        )
        pages = (records for _, records in read)
        relationships = parse_each(Relationship, chain.from_iterable(pages), instance=self.name)
        return to_edges(relationships, {s.id: s.name for s in services}, self.name)

    async def on_call(self, at: datetime) -> list[OnCallShift]:
        # On-calls overlapping [at, at+1min]; the included user and policy bring email and team.
        params = {
            "since": pd_time(at),
            "until": pd_time(at + timedelta(minutes=1)),
            "time_zone": "UTC",
            "include[]": ["users", "escalation_policies"],
        }
        records = await self.client.list_all("/oncalls", "oncalls", params)
        shifts = [to_shift(o, self.name) for o in parse_each(PDOnCall, records, instance=self.name)]
        return [s for s in shifts if s.start <= at < s.end]

    async def escalation_policies(self) -> list[EscalationPolicy]:
        records = await self.client.list_all("/escalation_policies", "escalation_policies")
        policies = parse_each(PDEscalationPolicy, records, instance=self.name)
        return [to_policy(p, self.name) for p in policies]

    async def _incidents(self, window: TimeWindow) -> list[PDIncident]:
        """Open incidents of any age, plus every incident created in (or just before) `window`."""
        lookback = timedelta(hours=self.config.incident_lookback_hours)
        open_now = await self.client.list_all(
            "/incidents",
            "incidents",
            {"date_range": "all", "statuses[]": OPEN_STATUSES, "time_zone": "UTC"},
        )
        recent = await self.client.list_all(
            "/incidents",
            "incidents",
            {
                "since": pd_time(window.since - lookback),
                "until": pd_time(window.until),
                "time_zone": "UTC",
            },
        )
        by_id = {i.id: i for i in parse_each(PDIncident, recent + open_now, instance=self.name)}
        return list(by_id.values())

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        incidents = await self._incidents(window)
        if not self.config.expand_incident_alerts:
            return [incident_alert(i, self.name) for i in incidents]
        read = await read_each(
            incidents,
            self._incident_alerts,
            name=lambda incident: f"incident {incident.id}",
            noun="incidents",
            instance=self.name,
            limit=self.config.max_concurrency,
            halts=halts,
            lost=False,  # the incident itself is still shown, as one alert
            partly="alerts inside incidents not read (each is shown as one alert)",
        )
        expanded = {incident.id: alerts for incident, alerts in read}
        return [
            alert
            for incident in incidents
            for alert in expanded.get(incident.id) or [incident_alert(incident, self.name)]
        ]

    async def _incident_alerts(self, incident: PDIncident) -> list[Alert]:
        path = f"/incidents/{quote(incident.id, safe='')}/alerts"
        records = await self.client.list_all(path, "alerts")
        alerts = parse_each(PDAlert, records, instance=self.name)
        if not alerts:  # keep the incident visible even when it holds no alerts
            return [incident_alert(incident, self.name)]
        return [alert_in_incident(a, incident, self.name) for a in alerts]

    async def changes(self, window: TimeWindow) -> list[Change]:
        params = {"since": pd_time(window.since), "until": pd_time(window.until)}
        records = await self.client.list_all("/change_events", "change_events", params)
        events = parse_each(PDChangeEvent, records, instance=self.name)
        return [to_change(e, self.name) for e in events]
