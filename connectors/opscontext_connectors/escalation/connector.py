"""The ``escalation`` connector: escalation policies from our YAML format (EscalationSource)."""

from __future__ import annotations

from opscontext.capabilities import EscalationSource
from opscontext.models import EscalationPolicy
from opscontext.problems import LoadReport
from opscontext.registry import ConnectorContext
from opscontext_connectors.escalation.config import EscalationConfig
from opscontext_connectors.escalation.reader import PolicyReader


class EscalationConnector(EscalationSource):
    """Escalation policies from our YAML format; edits on disk are picked up on the next call."""

    def __init__(self, ctx: ConnectorContext[EscalationConfig]):
        self.ctx = ctx
        config = ctx.config
        self._reader = PolicyReader(ctx.resolve_path(config.path), instance=ctx.name, max_file_mb=config.max_file_mb)

    def problems(self) -> LoadReport:
        """Policy files left out of the last load (the hub reports them)."""
        return self._reader.problems()

    async def preload(self) -> None:
        """Parse the files at server start (``opscontext.warm``), not at the first call."""
        await self._reader.get()

    async def escalation_policies(self) -> list[EscalationPolicy]:
        return list(await self._reader.get())

    async def check(self) -> str:
        policies = await self._reader.get()
        teams = {p.team for p in policies if p.team}
        steps = sum(len(p.steps) for p in policies)
        return f"{len(policies)} escalation policies, {steps} steps, for {len(teams)} team(s)"
