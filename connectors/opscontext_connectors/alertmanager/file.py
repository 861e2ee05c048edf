"""The ``alertmanager`` type: alerts from saved ``GET /api/v2/alerts`` answers.

Teams export Alertmanager's state (``amtool``, a cron'd ``curl``, an incident bot) into files;
a directory of such snapshots, each taken at a different moment, replays history that a live
Alertmanager forgets as soon as an alert resolves.
"""

from __future__ import annotations

from pathlib import Path

from opscontext import jsonarray
from opscontext.capabilities import AlertSource
from opscontext.files import Load, Reloading
from opscontext.models import Alert, TimeWindow
from opscontext.problems import LoadReport
from opscontext.registry import ConnectorContext
from opscontext_connectors.alertmanager.config import AlertmanagerFileConfig
from opscontext_connectors.alertmanager.mapping import collapse_mapped, parse_alert, to_alert

Mapped = list[tuple[Alert, str]]  # each alert with its entry's own fingerprint ("" when absent)


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
        entries: Mapped = []
        strings: dict[str, str] = {}  # one pool for the load: snapshots repeat each other's labels
        for path, (mapped, total) in load.each(lambda p: self._read_snapshot(p, load.read_text(p), strings)):
            entries.extend(mapped)
            if len(mapped) < total:
                bad = total - len(mapped)
                load.dropped(path, f"{bad} of {total} alert entries malformed and left out")
        return collapse_mapped(entries)

    def _read_snapshot(self, path: Path, text: str, strings: dict[str, str]) -> tuple[Mapped, int]:
        """A snapshot's alerts, each entry mapped as soon as it is decoded: the file's raw dicts
        and wire models never exist all at once (at 100k alerts they were ~500 MiB at the peak)."""
        mapped: Mapped = []
        total = 0
        try:
            for total, item in enumerate(jsonarray.items(text), start=1):
                wire = parse_alert(item, total - 1, where=str(path))
                if wire is not None:
                    alert = to_alert(wire, source=self.ctx.name, mapping=self.config, strings=strings)
                    mapped.append((alert, wire.fingerprint))
        except jsonarray.NotAnArray:
            raise ValueError("must hold a JSON array as returned by GET /api/v2/alerts") from None
        return mapped, total

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
