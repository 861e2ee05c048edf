"""The ``opsgenie`` connector: who is on call, per schedule, from Opsgenie's Who is On Call API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

from opscontext.capabilities import OnCallSource
from opscontext.errors import SourceDataError, SourceNotFoundError
from opscontext.http import JsonClient
from opscontext.models import OnCallShift
from opscontext.registry import ConnectorContext
from pydantic import BaseModel, ValidationError

from opscontext_opsgenie.config import OpsgenieConfig
from opscontext_opsgenie.wire import OnCallsAnswer, Schedule, Schedules

# The API says who is on call at an instant, not until when: a shift is valid for this long and
# carries end_known=False, so no one is told a handover time that was never given.
UNKNOWN_SHIFT_SPAN = timedelta(minutes=1)
M = TypeVar("M", bound=BaseModel)


class OpsgenieOnCall(OnCallSource):
    """OnCallSource over Opsgenie: the people on call for each enabled schedule (or the configured
    ones), reported under the schedule's owner team so ``who_owns`` finds them for its services."""

    def __init__(self, ctx: ConnectorContext[OpsgenieConfig]):
        self.name = ctx.name
        self.config = ctx.config
        self.client = JsonClient.configured(ctx.http_client(), ctx.config, instance=ctx.name)

    async def on_call(self, at: datetime) -> list[OnCallShift]:
        schedules = await self._schedules()
        gate = asyncio.Semaphore(self.config.concurrency)

        async def one(schedule: Schedule) -> list[OnCallShift]:
            async with gate:
                return await self._shifts(schedule, at)

        answers = await asyncio.gather(*(one(s) for s in schedules))
        return [shift for shifts in answers for shift in shifts]

    async def check(self) -> str:
        """One cheap call for ``opscontext doctor``: the schedules the key can see."""
        schedules = await self._schedules()
        return f"authenticated; {len(schedules)} schedule(s) to ask: {', '.join(s.name for s in schedules)}"

    async def _schedules(self) -> list[Schedule]:
        listed = await self._get(Schedules, "/v2/schedules")
        enabled = [s for s in listed.data if s.enabled]
        if not self.config.schedules:
            return enabled
        by_name = {s.name.casefold(): s for s in enabled}
        missing = [n for n in self.config.schedules if n.casefold() not in by_name]
        if missing:
            raise SourceNotFoundError(
                f"no enabled schedule named {', '.join(map(repr, missing))}; check `schedules`",
                instance=self.name,
            )
        return [by_name[n.casefold()] for n in self.config.schedules]

    async def _shifts(self, schedule: Schedule, at: datetime) -> list[OnCallShift]:
        path = f"/v2/schedules/{quote(schedule.id, safe='')}/on-calls"
        date = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # the documented form, with Z for UTC
        params = {"scheduleIdentifierType": "id", "flat": "true", "date": date}
        answer = await self._get(OnCallsAnswer, path, params)
        team = schedule.owner_team.name if schedule.owner_team else None
        return [
            OnCallShift(
                person=username,
                email=username if "@" in username else None,
                team=team,
                schedule=schedule.name,
                start=at,
                end=at + UNKNOWN_SHIFT_SPAN,
                end_known=False,
                source=self.name,
            )
            for username in dict.fromkeys(answer.data.recipients)
        ]

    async def _get(self, model: type[M], path: str, params: dict[str, Any] | None = None) -> M:
        body = await self.client.get_json(path, params)
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            problem = f"{path} answered in an unexpected shape ({where}: {first['msg']})"
            raise SourceDataError(problem, instance=self.name) from None
