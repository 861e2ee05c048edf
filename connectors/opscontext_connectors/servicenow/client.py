"""Reads ServiceNow's Table API and On-Call Scheduling API: paging, field selection, parsing.

Every list is read page by page with ``sysparm_limit``/``sysparm_offset`` until the instance
says there is no more: the ``Link`` header's ``rel="next"`` when the instance sends one (it does
by default), else a short page. Paging stops at ``max_pages`` with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import ValidationError

from opscontext.config import HttpConnectorConfig
from opscontext.errors import SourceDataError
from opscontext.http import JsonClient, redact_url
from opscontext_connectors.servicenow.wire import DATE_FORMAT, OnCallEntry, Record, fields_of

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)
ID_CHUNK = 100  # sys_ids per `sys_idIN` query: keeps URLs far below common 8 KB limits


class ServiceNowClient:
    """Table API reads with sysparm offset paging (Link header when given) and the whoisoncall API."""

    def __init__(self, http: httpx.AsyncClient, config: HttpConnectorConfig, *, instance: str):
        self.json = JsonClient.configured(http, config, instance=instance)
        self.instance = instance
        self.page_size = config.page_size
        self.max_pages = config.max_pages

    async def records(self, table: str, model: type[R], query: str = "") -> list[R]:
        """Every record of ``table`` matching the encoded ``query``, parsed as ``model``."""
        params: dict[str, Any] = {
            "sysparm_fields": fields_of(model),
            "sysparm_display_value": "all",
            "sysparm_exclude_reference_link": "true",
            "sysparm_limit": self.page_size,
            "sysparm_offset": 0,
        }
        if query:
            params["sysparm_query"] = query
        out: list[R] = []
        for _ in range(self.max_pages):
            response = await self.json.get(f"/api/now/table/{table}", params)
            rows = self._rows(response)
            out.extend(self._parse(rows, model, table))
            step = self._next(response, len(rows), params["sysparm_offset"] + len(rows))
            if step is None:
                return out
            params = {**params, "sysparm_offset": step}
        log.warning(
            "%s: %s has more than %d pages; stopped paging", self.instance, table, self.max_pages
        )
        return out

    async def records_by_id(
        self, table: str, model: type[R], ids: Iterable[str], field: str = "sys_id"
    ) -> list[R]:
        """Records whose ``field`` is one of ``ids``, asked for in chunks."""
        wanted = sorted({i for i in ids if i})
        out: list[R] = []
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = ",".join(wanted[start : start + ID_CHUNK])
            out.extend(await self.records(table, model, f"{field}IN{chunk}"))
        return out

    async def who_is_on_call(self, group_ids: Sequence[str], at: datetime) -> list[OnCallEntry]:
        """``GET /api/now/on_call_rota/whoisoncall`` for the groups at a UTC instant."""
        out: list[OnCallEntry] = []
        for start in range(0, len(group_ids), ID_CHUNK):
            params = {
                "group_ids": ",".join(group_ids[start : start + ID_CHUNK]),
                "date_time": at.strftime(DATE_FORMAT),
            }
            response = await self.json.get("/api/now/on_call_rota/whoisoncall", params)
            for row in self._rows(response):
                try:
                    out.append(OnCallEntry.model_validate(row))
                except ValidationError:
                    log.warning("%s: skipped an unreadable on-call entry", self.instance)
        return out

    async def count(self, table: str) -> int | None:
        """Rows visible in ``table`` (X-Total-Count), with one minimal request."""
        response = await self.json.get(
            f"/api/now/table/{table}", {"sysparm_limit": 1, "sysparm_fields": "sys_id"}
        )
        self._rows(response)
        total = response.headers.get("X-Total-Count", "")
        return int(total) if total.isdigit() else None

    def _rows(self, response: httpx.Response) -> list[Any]:
        body = self.json.decode(response)
        rows = body.get("result") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise SourceDataError(
                f"{redact_url(response.request.url)} answered without a `result` list",
                instance=self.instance,
            )
        return rows

    def _parse(self, rows: list[Any], model: type[R], table: str) -> list[R]:
        out: list[R] = []
        for row in rows:
            try:
                out.append(model.model_validate(row))
            except ValidationError as exc:
                # Never log the row itself: it may hold personal data.
                log.warning(
                    "%s: skipped a %s record (%d problems)", self.instance, table, exc.error_count()
                )
        return out

    def _next(self, response: httpx.Response, got: int, offset: int) -> int | None:
        """Offset of the next page, or None at the end.

        The Link header decides when present. Only its ``sysparm_offset`` is taken, never the
        URL itself, so credentials are never sent wherever a header points.
        """
        if got == 0:
            return None
        if "Link" in response.headers:
            nxt = response.links.get("next", {}).get("url")
            if not nxt:
                return None
            linked = httpx.URL(nxt).params.get("sysparm_offset", "")
            return int(linked) if linked.isdigit() and int(linked) >= offset else offset
        return offset if got >= self.page_size else None
