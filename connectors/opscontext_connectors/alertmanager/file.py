"""The ``alertmanager`` type: alerts from saved ``GET /api/v2/alerts`` answers, recorded
webhook notifications, or saved Prometheus ``GET /api/v1/alerts`` answers.

Teams export Alertmanager's state (``amtool``, a cron'd ``curl``, an incident bot) into files,
or record what its webhook sends; a directory of such snapshots, each taken at a different
moment, replays history that a live Alertmanager forgets as soon as an alert resolves. A
Prometheus answer holds the alerts its rules send to Alertmanager, read as Alertmanager will
know them (same labels, same fingerprint, started when they became active).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from opscontext import jsonarray
from opscontext.capabilities import AlertSource
from opscontext.files import Load, Reloading
from opscontext.fingerprint import fingerprint
from opscontext.models import Alert, TimeWindow
from opscontext.problems import LoadReport
from opscontext.registry import ConnectorContext
from opscontext_connectors.alertmanager.config import AlertmanagerFileConfig
from opscontext_connectors.alertmanager.mapping import collapse_mapped, parse_alert, to_alert
from opscontext_connectors.prometheus.wire import RuleAlert

Mapped = list[tuple[Alert, str]]  # each alert with its entry's own fingerprint ("" when absent)


class AlertmanagerFile(AlertSource):
    """Alerts from saved Alertmanager or Prometheus answers and webhook recordings (JSON files),
    re-read when they change."""

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
        and wire models never exist all at once (at 100k alerts they were ~500 MiB at the peak).

        A snapshot is a ``GET /api/v2/alerts`` answer (an array of alerts), or what a webhook
        receiver recorded: one notification (an object with an ``alerts`` array, as Alertmanager's
        and Grafana's webhooks send) or an array of them, firing and resolved in the order sent."""
        try:
            return self._map(path, _alert_entries(jsonarray.items(text)), strings)
        except jsonarray.NotAnArray:  # raised before the first item: nothing was mapped yet
            return self._map(path, _alert_entries([json.loads(text)], top=True), strings)

    def _map(self, path: Path, entries: Iterable[Any], strings: dict[str, str]) -> tuple[Mapped, int]:
        """The entries mapped (malformed ones logged and left out), and how many there were."""
        mapped: Mapped = []
        total = 0
        for total, item in enumerate(entries, start=1):
            wire = parse_alert(item, total - 1, where=str(path))
            if wire is not None:
                alert = to_alert(wire, source=self.ctx.name, mapping=self.config, strings=strings)
                mapped.append((alert, wire.fingerprint))
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
        if not alerts:
            return f"0 alerts readable under {self._files.root}"
        # A recording keeps its own times: say when, so a replay knows which window to ask for.
        first = min(a.starts_at for a in alerts).strftime("%Y-%m-%d %H:%MZ")
        last = max(a.starts_at for a in alerts).strftime("%Y-%m-%d %H:%MZ")
        return f"{len(alerts)} alerts starting {first} to {last}, readable under {self._files.root}"


def _alert_entries(items: Iterable[Any], top: bool = False) -> Iterator[Any]:
    """The alert entries of a snapshot's top-level items: an item that is a webhook notification
    (an object with an ``alerts`` list and no ``labels``) stands for its alerts; any other item is
    an alert entry (a malformed one is reported by :func:`parse_alert`). ``top``: the file is one
    JSON value that is not an array, which must then be a notification or a Prometheus answer."""
    for item in items:
        if isinstance(item, dict) and "labels" not in item and isinstance(item.get("alerts"), list):
            yield from item["alerts"]
        elif top and isinstance(item, dict) and "data" in item and "status" in item:
            yield from _prometheus_alerts(item)
        elif top:
            raise ValueError(
                "must hold a JSON array as returned by GET /api/v2/alerts, a webhook notification "
                "(an object with an `alerts` array, as Alertmanager and Grafana send), or Prometheus' "
                "GET /api/v1/alerts answer"
            )
        else:
            yield item


def _prometheus_alerts(answer: dict[str, Any]) -> Iterator[Any]:
    """The firing alerts of a Prometheus ``GET /api/v1/alerts`` answer as Alertmanager entries.
    Pending ones have not fired (their ``for:`` has not elapsed) and are not alerts yet; an
    entry Prometheus' own wire model refuses is passed on as it is, for :func:`parse_alert` to
    report."""
    if answer.get("status") != "success":
        detail = answer.get("error") or "no detail"
        raise ValueError(f"is a Prometheus answer with status {answer.get('status')!r}, not success: {detail}")
    data = answer.get("data")
    alerts = data.get("alerts") if isinstance(data, dict) else None
    if not isinstance(alerts, list):
        raise ValueError("is a Prometheus answer without data.alerts (save GET /api/v1/alerts)")
    for entry in alerts:
        try:
            rule = RuleAlert.model_validate(entry)
        except ValidationError:
            yield entry
            continue
        if rule.state == "firing":
            yield {"labels": rule.labels, "annotations": rule.annotations, "startsAt": rule.active_at,
                   "fingerprint": fingerprint(rule.labels), "status": {"state": "active"}}
