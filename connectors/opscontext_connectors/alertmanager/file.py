"""The ``alertmanager`` type: alerts from saved ``GET /api/v2/alerts`` answers.

Teams export Alertmanager's state (``amtool``, a cron'd ``curl``, an incident bot) into files;
a directory of such snapshots, each taken at a different moment, replays history that a live
Alertmanager forgets as soon as an alert resolves.
"""

from __future__ import annotations

import json
from pathlib import Path

from opscontext.capabilities import AlertSource
from opscontext.files import Load, Reloading
from opscontext.models import Alert, TimeWindow
from opscontext.problems import LoadReport
from opscontext.registry import ConnectorContext
from opscontext_connectors.alertmanager.config import AlertmanagerFileConfig
from opscontext_connectors.alertmanager.mapping import collapse, parse_alerts, to_alert
from opscontext_connectors.alertmanager.wire import GettableAlert


class AlertmanagerFile(AlertSource):
    """Alerts from Alertmanager API v2 answers saved as JSON files, re-read when they change."""

    def __init__(self, ctx: ConnectorContext[AlertmanagerFileConfig]):
        self.ctx = ctx
        self.config = ctx.config
        root = ctx.resolve_path(self.config.path)
        self._files = Reloading(
            root, self._parse, instance=ctx.name, patterns=("*.json",), max_file_mb=self.config.max_file_mb
        )

    def problems(self) -> LoadReport:
        """Snapshots left out and entries dropped in the last load (the hub reports them)."""
        return self._files.problems()

    def _parse(self, load: Load) -> list[Alert]:
        entries: list[GettableAlert] = []
        for path, (parsed, total) in load.each(lambda p: self._read_snapshot(p, load.read_text(p))):
            entries.extend(parsed)
            if len(parsed) < total:
                bad = total - len(parsed)
                load.dropped(path, f"{bad} of {total} alert entries malformed and left out")
        cfg = self.config
        return [to_alert(w, source=self.ctx.name, mapping=cfg) for w in collapse(entries)]

    def _read_snapshot(self, path: Path, text: str) -> tuple[list[GettableAlert], int]:
        raw = json.loads(text)
        if not isinstance(raw, list):
            raise ValueError("must hold a JSON array as returned by GET /api/v2/alerts")
        return parse_alerts(raw, where=str(path)), len(raw)

    async def preload(self) -> None:
        """Parse the snapshots at server start (``opscontext.warm``), not at the first call."""
        await self._files.get()

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        return [a for a in await self.alerts_snapshot() if a.active_during(window)]

    async def alerts_snapshot(self) -> list[Alert]:
        """Every alert, the same list while the files are unchanged (``opscontext.snapshots``:
        the hub sanitises it once and windows it itself)."""
        return await self._files.get()

    async def check(self) -> str:
        alerts = await self._files.get()
        return f"{len(alerts)} alerts readable under {self._files.root}"
