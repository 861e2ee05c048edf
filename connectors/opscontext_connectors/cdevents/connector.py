"""The CDEvents file connector: deployment and change history exported as CDEvents JSON."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import Field

from opscontext.capabilities import ChangeSource
from opscontext.config import FileConnectorConfig
from opscontext.files import Load, Reloading
from opscontext.models import Change, TimeWindow
from opscontext.problems import LoadReport
from opscontext.registry import ConnectorContext
from opscontext_connectors.cdevents.mapping import to_change
from opscontext_connectors.cdevents.reader import PATTERNS, ReadEvents, read_event_files
from opscontext_connectors.cdevents.wire import CDEvent

log = logging.getLogger(__name__)


class CdEventsConfig(FileConnectorConfig):
    """`path`: a .jsonl/.ndjson/.json file, or a directory searched recursively for them."""

    repositories: dict[str, str] = Field(
        default_factory=dict,
        description='Repository -> service for change.merged events, e.g. {"org/repo" = "svc"}; '
        "unlisted repositories are reported under their own name.",
    )


@dataclass(frozen=True)
class _Mapped:
    """What one read of the files is kept as: the changes, not the wire events (25k deployment
    events as wire models held ~130 MiB beside the changes mapped from them)."""

    changes: list[Change]
    files: int
    events: int
    invalid: int


class CdEvents(ChangeSource):
    """ChangeSource over CDEvents files, re-read when they change."""

    def __init__(self, ctx: ConnectorContext[CdEventsConfig]):
        self.name = ctx.name
        self.repositories = {k.lower(): v for k, v in ctx.config.repositories.items()}
        # Read and mapped in one step off the event loop, once per change of the files.
        self._files = Reloading(
            ctx.resolve_path(ctx.config.path),
            self._read,
            instance=ctx.name,
            patterns=PATTERNS,
            max_file_mb=ctx.config.max_file_mb,
            per_file=True,  # a file appended to re-reads that file; the others' changes are reused
        )

    def _read(self, load: Load) -> _Mapped:
        read = read_event_files(load, self._change)
        return _Mapped(self._merge(read), read.files, read.events, read.invalid)

    def _change(self, event: CDEvent) -> Change | None:
        return to_change(event, source=self.name, repositories=self.repositories)

    def _merge(self, read: ReadEvents[Change]) -> list[Change]:
        changes: dict[str, Change] = {}
        for change in read.items:
            # A re-delivered event keeps its id; the first copy is as good as any.
            if change.id not in changes:
                changes[change.id] = change
        return sorted(changes.values(), key=lambda c: (c.at, c.id))

    def problems(self) -> LoadReport:
        """Files left out and records dropped in the last load (the hub reports them)."""
        return self._files.problems()

    async def preload(self) -> None:
        """Parse and map the events at server start (``opscontext.warm``), not at the first call."""
        await self._files.get()

    async def changes(self, window: TimeWindow) -> list[Change]:
        return [c for c in await self.changes_snapshot() if window.contains(c.at)]

    async def changes_snapshot(self) -> list[Change]:
        """Every change, the same list while the files are unchanged (``opscontext.snapshots``:
        the hub sanitises it once and windows it itself)."""
        return (await self._files.get()).changes

    async def check(self) -> str:
        read = await self._files.get()
        line = f"{read.files} files: {read.events} events, {len(read.changes)} changes"
        if read.changes:  # a recording keeps its own times: say when
            first, last = min(c.at for c in read.changes), max(c.at for c in read.changes)
            line += f" from {first:%Y-%m-%d %H:%M}Z to {last:%Y-%m-%d %H:%M}Z"
        if read.invalid:
            line += f"; skipped {read.invalid} invalid records"
        return line
