"""The CDEvents file connector: deployment and change history exported as CDEvents JSON."""

from __future__ import annotations

import logging

from pydantic import Field

from opscontext.capabilities import ChangeSource
from opscontext.config import FileConnectorConfig
from opscontext.files import Derived, Reloading
from opscontext.models import Change, TimeWindow
from opscontext.problems import LoadReport
from opscontext.registry import ConnectorContext
from opscontext_connectors.cdevents.mapping import to_change
from opscontext_connectors.cdevents.reader import PATTERNS, ReadEvents, read_event_files

log = logging.getLogger(__name__)


class CdEventsConfig(FileConnectorConfig):
    """`path`: a .jsonl/.ndjson/.json file, or a directory searched recursively for them."""

    repositories: dict[str, str] = Field(
        default_factory=dict,
        description='Repository -> service for change.merged events, e.g. {"org/repo" = "svc"}; '
        "unlisted repositories are reported under their own name.",
    )


class CdEvents(ChangeSource):
    """ChangeSource over CDEvents files, re-read when they change."""

    def __init__(self, ctx: ConnectorContext[CdEventsConfig]):
        self.name = ctx.name
        self.repositories = {k.lower(): v for k, v in ctx.config.repositories.items()}
        self._files = Reloading(
            ctx.resolve_path(ctx.config.path),
            read_event_files,
            instance=ctx.name,
            patterns=PATTERNS,
            max_file_mb=ctx.config.max_file_mb,
            per_file=True,  # a file appended to re-reads that file; the others' events are reused
        )
        self._mapped = Derived(self._map)  # mapped once per change of the files

    def _map(self, read: ReadEvents) -> list[Change]:
        changes: dict[str, Change] = {}
        for event in read.events:
            change = to_change(event, source=self.name, repositories=self.repositories)
            # A re-delivered event keeps its id; the first copy is as good as any.
            if change is not None and change.id not in changes:
                changes[change.id] = change
        return sorted(changes.values(), key=lambda c: (c.at, c.id))

    def problems(self) -> LoadReport:
        """Files left out and records dropped in the last load (the hub reports them)."""
        return self._files.problems()

    async def preload(self) -> None:
        """Parse and map the events at server start (``opscontext.warm``), not at the first call."""
        self._mapped(await self._files.get())

    async def changes(self, window: TimeWindow) -> list[Change]:
        return [c for c in await self.changes_snapshot() if window.contains(c.at)]

    async def changes_snapshot(self) -> list[Change]:
        """Every change, the same list while the files are unchanged (``opscontext.snapshots``:
        the hub sanitises it once and windows it itself)."""
        return self._mapped(await self._files.get())

    async def check(self) -> str:
        read = await self._files.get()
        mapped = self._mapped(read)
        line = f"{read.files} files: {len(read.events)} events, {len(mapped)} changes"
        if read.invalid:
            line += f"; skipped {read.invalid} invalid records"
        return line
