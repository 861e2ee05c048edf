"""The ``openmetrics`` connector: SLIs evaluated over recorded samples (SliSource).

For worlds without a live Prometheus (the demo, an offline review of an incident, tests): the
SLOs' queries are evaluated over samples recorded in OpenMetrics text, with Prometheus' own
windowing and extrapolation, for the query shapes SLIs use (see ``promql``). A query outside
them is that SLO's error, never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from opscontext.capabilities import SliSource
from opscontext.errors import SourceDataError
from opscontext.files import Load, Reloading
from opscontext.models import SliReading, SliRequest
from opscontext.problems import LoadReport
from opscontext.registry import ConnectorContext
from opscontext.sli_eval import evaluate
from opscontext_connectors.openmetrics.config import OpenMetricsConfig
from opscontext_connectors.openmetrics.promql import Unsupported, parse
from opscontext_connectors.openmetrics.recording import Recording, load_recording

PATTERNS = ("*.om",)


class OpenMetricsRecording(SliSource):
    """Evaluates SLI queries over the recorded samples; edits on disk are picked up next call."""

    def __init__(self, ctx: ConnectorContext[OpenMetricsConfig]):
        self.ctx = ctx
        self._files: Reloading[Recording] = Reloading(
            ctx.resolve_path(ctx.config.path),
            self._parse,
            instance=ctx.name,
            patterns=PATTERNS,
            max_file_mb=ctx.config.max_file_mb,
        )

    @staticmethod
    def _parse(load: Load) -> Recording:
        return load_recording(load)

    def problems(self) -> LoadReport:
        """Recording files left out of the last load (the hub reports them)."""
        return self._files.problems()

    async def preload(self) -> None:
        """Parse the files at server start (``opscontext.warm``), not at the first call."""
        await self._files.get()

    async def sli_ratios(self, requests: Sequence[SliRequest], at: datetime) -> list[SliReading]:
        recording = await self._files.get()

        async def value_of(query: str, when: datetime) -> float | None:
            try:
                return recording.evaluate(parse(query), when)
            except Unsupported as exc:
                raise SourceDataError(str(exc), instance=self.ctx.name) from None

        # Each query is a few bisects over a few series: cheap enough for the event loop, and
        # nothing to overlap (local: one after another, no task per query).
        return await evaluate(requests, at, instance=self.ctx.name, value_of=value_of, local=True)

    async def check(self) -> str:
        recording = await self._files.get()
        if recording.first_ms is None or recording.last_ms is None:
            return "no samples recorded"
        first, last = (datetime.fromtimestamp(ms / 1000, UTC).isoformat() for ms in (recording.first_ms,
                                                                                       recording.last_ms))
        return f"{len(recording.series)} series recorded from {first} to {last}"
