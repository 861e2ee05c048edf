"""The runbooks connector: a directory of Markdown runbooks kept in git."""

from __future__ import annotations

from functools import partial

from pydantic import Field

from opscontext.capabilities import RunbookSource
from opscontext.config import FileConnectorConfig
from opscontext.files import Reloading
from opscontext.models import Runbook
from opscontext.problems import LoadReport
from opscontext.registry import ConnectorContext
from opscontext_connectors.runbooks.reader import PATTERNS, Locator, ReadRunbooks, read_runbooks


class RunbooksConfig(FileConnectorConfig):
    """`path`: a directory searched recursively for *.md, or one Markdown file."""

    base_url: str | None = Field(
        default=None,
        description="Prefix for runbook locations, e.g. the git web URL of `path` "
        "(https://github.com/org/runbooks/blob/main); without it locations are relative paths.",
    )


class Runbooks(RunbookSource):
    """RunbookSource over Markdown files with YAML front matter, re-read on change."""

    def __init__(self, ctx: ConnectorContext[RunbooksConfig]):
        root = ctx.resolve_path(ctx.config.path)
        parse = partial(read_runbooks, locate=Locator(root, ctx.config.base_url), source=ctx.name)
        # per_file: an edit to one runbook re-reads that file; the others' Runbooks are reused.
        self._files: Reloading[ReadRunbooks] = Reloading(
            root, parse, instance=ctx.name, patterns=PATTERNS, max_file_mb=ctx.config.max_file_mb, per_file=True
        )

    def problems(self) -> LoadReport:
        """Runbook files left out of the last load (the hub reports them)."""
        return self._files.problems()

    async def preload(self) -> None:
        """Parse the files at server start (``opscontext.warm``), not at the first call."""
        await self._files.get()

    async def runbooks(self) -> list[Runbook]:
        return list((await self._files.get()).runbooks)

    async def check(self) -> str:
        read = await self._files.get()
        sections = sum(len(r.sections) for r in read.runbooks)
        return f"{len(read.runbooks)} runbooks, {sections} sections"
