"""Dynatrace: services with observed call topology, problems as alerts, deployment events."""

from __future__ import annotations

from datetime import datetime, timedelta

from opscontext.capabilities import AlertSource, ChangeSource, ServiceCatalog, TopologySource
from opscontext.errors import SourceDataError
from opscontext.models import Alert, CatalogSnapshot, Change, DependencyEdge, TimeWindow
from opscontext.registry import ConnectorContext
from opscontext.wire import parse_each
from opscontext_connectors.dynatrace.client import DynatraceClient
from opscontext_connectors.dynatrace.config import DynatraceConfig
from opscontext_connectors.dynatrace.mapping import to_alert, to_change, to_edges, to_service
from opscontext_connectors.dynatrace.wire import DTEntity, DTEvent, DTProblem

ENTITY_FIELDS = "+fromRelationships,+toRelationships,+tags,+managementZones"


def millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


class DynatraceConnector(ServiceCatalog, TopologySource, AlertSource, ChangeSource):
    """Dynatrace API v2: SERVICE entities (owner from a tag) and their observed ``calls``
    relationships, Davis problems as alerts, and deployment events as changes. GETs only."""

    def __init__(self, ctx: ConnectorContext[DynatraceConfig]):
        self.name = ctx.name
        self.config = ctx.config
        self.client = DynatraceClient(ctx.http_client(), ctx.config, instance=ctx.name)

    async def check(self) -> str:
        # A GET that only needs entities.read: read-only tokens pass, nothing is written.
        body = await self.client.json.get_json("/api/v2/entityTypes", {"pageSize": 1})
        total = body.get("totalCount") if isinstance(body, dict) else None
        if not isinstance(total, int):
            raise SourceDataError(
                f"{self.client.json.url_of('/api/v2/entityTypes')} answered without a totalCount",
                instance=self.name,
            )
        return f"authenticated; {total} entity types visible"

    async def _services(self) -> list[DTEntity]:
        params = {
            "entitySelector": 'type("SERVICE")',
            "fields": ENTITY_FIELDS,
            "from": self.config.entities_from,
        }
        records = await self.client.list_all("/api/v2/entities", "entities", params)
        return parse_each(DTEntity, records, instance=self.name)

    async def catalog(self) -> CatalogSnapshot:
        entities = await self._services()
        owner_tag = self.config.owner_tag
        return CatalogSnapshot(
            services=tuple(to_service(e, owner_tag, self.name) for e in entities)
        )

    async def edges(self) -> list[DependencyEdge]:
        return to_edges(await self._services(), self.name)

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        since = window.since - timedelta(hours=self.config.problem_lookback_hours)
        params: dict[str, str | int] = {"from": millis(since), "to": millis(window.until)}
        if self.config.problem_selector:
            params["problemSelector"] = self.config.problem_selector
        records = await self.client.list_all("/api/v2/problems", "problems", params)
        problems = parse_each(DTProblem, records, instance=self.name)
        return [to_alert(p, self.name) for p in problems]

    async def changes(self, window: TimeWindow) -> list[Change]:
        params = {
            "eventSelector": f'eventType("{self.config.deployment_event_type}")',
            "from": millis(window.since),
            "to": millis(window.until),
        }
        records = await self.client.list_all("/api/v2/events", "events", params)
        events = parse_each(DTEvent, records, instance=self.name)
        return [to_change(e, self.name) for e in events]
