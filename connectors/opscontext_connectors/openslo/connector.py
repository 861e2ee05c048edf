"""The ``openslo`` connector: service level objectives from OpenSLO v1 files (SloSource)."""

from __future__ import annotations

from opscontext.capabilities import SloSource
from opscontext.models import Slo
from opscontext.problems import LoadReport
from opscontext.registry import ConnectorContext
from opscontext_connectors.openslo.config import OpenSloConfig
from opscontext_connectors.openslo.reader import SloReader


class OpenSlo(SloSource):
    """Reads OpenSLO files; edits on disk are picked up on the next call."""

    def __init__(self, ctx: ConnectorContext[OpenSloConfig]):
        self.ctx = ctx
        self._reader = SloReader(ctx.resolve_path(ctx.config.path), config=ctx.config, instance=ctx.name)

    def problems(self) -> LoadReport:
        """Files left out and SLOs dropped in the last load (the hub reports them)."""
        return self._reader.problems()

    async def preload(self) -> None:
        """Parse the files at server start (``opscontext.warm``), not at the first call."""
        await self._reader.get()

    async def slos(self) -> list[Slo]:
        return list(await self._reader.get())

    async def check(self) -> str:
        slos = await self._reader.get()
        services = {s.service for s in slos}
        return f"{len(slos)} SLO objective(s) for {len(services)} service(s)"
