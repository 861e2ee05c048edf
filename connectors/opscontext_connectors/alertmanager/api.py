"""The ``alertmanager-api`` type: alerts from a live Alertmanager's API v2.

``GET /api/v2/alerts`` answers with every current alert in one array (the API has no paging),
so one call per question is the whole cost. Silenced and inhibited alerts are asked for too and
reported as suppressed: during an incident "it fired but someone silenced it" is context.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from opscontext.capabilities import AlertSource
from opscontext.errors import SourceDataError
from opscontext.http import JsonClient
from opscontext.models import Alert, TimeWindow
from opscontext.registry import ConnectorContext
from opscontext.wire import report_dropped
from opscontext_connectors.alertmanager.config import AlertmanagerApiConfig
from opscontext_connectors.alertmanager.mapping import parse_alerts, to_alert
from opscontext_connectors.alertmanager.wire import AlertGroup as WireGroup
from opscontext_connectors.alertmanager.wire import AlertmanagerStatus, GettableAlert


class AlertGroup(BaseModel):
    """Alerts Alertmanager grouped for one notification, under one receiver."""

    model_config = ConfigDict(frozen=True)

    labels: dict[str, str]
    receiver: str
    alerts: tuple[Alert, ...]


class AlertmanagerApi(AlertSource):
    """A live Alertmanager (API v2): firing, silenced and inhibited alerts, and its own groups."""

    def __init__(self, ctx: ConnectorContext[AlertmanagerApiConfig]):
        self.ctx = ctx
        self.config = ctx.config
        self.client = JsonClient.configured(ctx.http_client(), self.config, instance=ctx.name)

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"active": "true", "silenced": "true", "inhibited": "true"}
        if self.config.filter:
            params["filter"] = list(self.config.filter)
        if self.config.receiver:
            params["receiver"] = self.config.receiver
        return params

    def _map(self, wire: list[GettableAlert]) -> list[Alert]:
        cfg = self.config
        return [to_alert(w, source=self.ctx.name, mapping=cfg) for w in wire]

    async def _get_array(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        body = await self.client.get_json(path, params)
        if not isinstance(body, list):
            raise SourceDataError(
                f"{self.client.url_of(path)} returned {type(body).__name__}, expected an array",
                instance=self.ctx.name,
            )
        return body

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        raw = await self._get_array("/api/v2/alerts", {**self._params(), "unprocessed": "true"})
        parsed = parse_alerts(raw, where="/api/v2/alerts")
        report_dropped("alert", len(raw) - len(parsed), where="/api/v2/alerts")  # logged one by one
        alerts = self._map(parsed)
        return [a for a in alerts if a.active_during(window)]

    async def groups(self) -> list[AlertGroup]:
        """Alertmanager's own grouping (``/api/v2/alerts/groups``): what paged together."""
        groups: list[AlertGroup] = []
        bad = 0
        for item in await self._get_array("/api/v2/alerts/groups", self._params()):
            try:
                wire = WireGroup.model_validate(item)
            except ValidationError:
                bad += 1
                continue  # a malformed group must not hide the others
            parsed = parse_alerts(wire.alerts, where="/api/v2/alerts/groups")
            bad += len(wire.alerts) - len(parsed)
            alerts = self._map(parsed)
            groups.append(
                AlertGroup(labels=wire.labels, receiver=wire.receiver.name, alerts=tuple(alerts))
            )
        report_dropped("alert group or alert", bad, where="/api/v2/alerts/groups")
        return groups

    async def check(self) -> str:
        body = await self.client.get_json("/api/v2/status")
        try:
            status = AlertmanagerStatus.model_validate(body)
        except ValidationError:
            raise SourceDataError(
                f"{self.client.url_of('/api/v2/status')} did not look like Alertmanager's status; check `url`",
                instance=self.ctx.name,
            ) from None
        peers = len(status.cluster.peers)
        version, cluster = status.version_info.version, status.cluster.status
        return f"Alertmanager {version}; cluster {cluster}, {peers} peers"
