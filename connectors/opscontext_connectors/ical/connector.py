"""The ``ical`` connector: on-call schedules from iCalendar files (OnCallSource)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

from opscontext.capabilities import OnCallSource
from opscontext.models import OnCallShift
from opscontext.problems import LoadReport, Problem
from opscontext.registry import ConnectorContext
from opscontext_connectors.ical.config import IcalConfig
from opscontext_connectors.ical.mapping import shifts_at
from opscontext_connectors.ical.reader import CalendarReader


class IcalConnector(OnCallSource):
    """Who is on call, from one ``.ics`` file or a directory of them; each calendar is one schedule."""

    def __init__(self, ctx: ConnectorContext[IcalConfig]):
        self.ctx = ctx
        self.config = ctx.config
        root = ctx.resolve_path(ctx.config.path)
        self._reader = CalendarReader(root, ctx.config, instance=ctx.name)
        self._left_out: tuple[Problem, ...] = ()  # series the last answer could not expand

    def problems(self) -> LoadReport:
        """Calendars and events left out of the last load, and series left out of the last
        answer (the hub and doctor ask right after a call, with no await in between)."""
        loaded = self._reader.problems()
        if not self._left_out:
            return loaded
        return replace(loaded, problems=(*loaded.problems, *self._left_out))

    async def preload(self) -> None:
        """Parse the files at server start (``opscontext.warm``), not at the first call."""
        await self._reader.get()

    async def on_call(self, at: datetime) -> list[OnCallShift]:
        calendars = await self._reader.get()
        # Expansion is CPU work on parsed data; keep it off the event loop. Every series' cost is
        # bounded before it is expanded, so the thread ends soon even when the caller gave up.
        shifts, left_out = await asyncio.to_thread(shifts_at, calendars, at, self.ctx.name)
        self._left_out = tuple(left_out)
        return shifts

    async def check(self) -> str:
        calendars = await self._reader.get()
        now = await self.on_call(self.ctx.now())
        names = ", ".join(sorted(c.schedule.name for c in calendars))
        return f"{len(calendars)} schedule(s) ({names}); {len(now)} shift(s) on call now"
