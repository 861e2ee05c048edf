"""The ``alertmanager`` type: alerts from saved ``GET /api/v2/alerts`` answers.

Teams export Alertmanager's state (``amtool``, a cron'd ``curl``, an incident bot) into files;
a directory of such snapshots, each taken at a different moment, replays history that a live
Alertmanager forgets as soon as an alert resolves.
"""

from __future__ import annotations

import json
from pathlib import Path

from connectors.alertmanager.config import AlertmanagerFileConfig
from connectors.alertmanager.mapping import collapse, parse_alerts, to_alert
from connectors.alertmanager.wire import GettableAlert
from opscontext.errors import SourceDataError
from opscontext.files import Reloading
from opscontext.models import Alert, TimeWindow
from opscontext.registry import ConnectorContext


class AlertmanagerFile:
    def __init__(self, ctx: ConnectorContext):
        if not isinstance(ctx.config, AlertmanagerFileConfig):
            raise TypeError("alertmanager needs an AlertmanagerFileConfig")
        self.ctx = ctx
        self.config = ctx.config
        root = ctx.resolve_path(self.config.path)
        self._files = Reloading(root, self._parse, instance=ctx.name, patterns=("*.json",))

    def _parse(self, files: list[Path]) -> list[Alert]:
        entries: list[GettableAlert] = []
        for path in files:
            entries.extend(self._read_snapshot(path))
        cfg = self.config
        return [to_alert(w, source=self.ctx.name, mapping=cfg) for w in collapse(entries)]

    def _read_snapshot(self, path: Path) -> list[GettableAlert]:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            msg = f"{path} is not valid JSON: {exc}"
            raise SourceDataError(msg, instance=self.ctx.name) from None
        if not isinstance(raw, list):
            raise SourceDataError(
                f"{path} must hold a JSON array as returned by GET /api/v2/alerts",
                instance=self.ctx.name,
            )
        return parse_alerts(raw, where=str(path))

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        return [a for a in await self._files.get() if a.active_during(window)]

    async def check(self) -> str:
        alerts = await self._files.get()
        return f"{len(alerts)} alerts readable under {self._files.root}"
