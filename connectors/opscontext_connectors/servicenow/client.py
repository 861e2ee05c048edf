"""Reads ServiceNow's Table API and On-Call Scheduling API: paging, field selection, parsing.

Every list is read page by page with ``sysparm_limit``/``sysparm_offset`` until the instance
says there is no more: the ``Link`` header's ``rel="next"`` when the instance sends one (it does
by default), else a short page. Paging stops at ``max_pages``, and the answer says it was cut.

Look-ups by id go out in chunks of ``ID_CHUNK`` ids, ``max_concurrency`` chunks at a time; a
chunk that cannot be read costs only its records, named in the answer's degraded status.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import ValidationError

from opscontext.errors import SourceDataError, SourceError
from opscontext.http import JsonClient, redact_url
from opscontext.items import read_each
from opscontext.problems import invalid, report_cut
from opscontext.wire import report_dropped
from opscontext_connectors.servicenow.config import ServiceNowConfig
from opscontext_connectors.servicenow.wire import DATE_FORMAT, OnCallEntry, Record, fields_of

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)
ID_CHUNK = 100  # sys_ids per `sys_idIN` query: keeps URLs far below common 8 KB limits


def _span(start: int, total: int) -> str:
    """Which ids one chunk holds, as a person counts them: '101-200 of 250'."""
    return f"{start + 1}-{min(start + ID_CHUNK, total)} of {total}"


def halts(error: SourceError) -> bool:
    """Errors after which every further request would fail too: rejected credentials, or a rate limit
    still refusing after the retries (asking on would only prolong it)."""
    return error.status in (401, 429)


class ServiceNowClient:
    """Table API reads with sysparm offset paging (Link header when given) and the whoisoncall API."""

    def __init__(self, http: httpx.AsyncClient, config: ServiceNowConfig, *, instance: str):
        self.json = JsonClient.configured(http, config, instance=instance)
        self.instance = instance
        self.page_size = config.page_size
        self.max_pages = config.max_pages
        self.max_concurrency = config.max_concurrency

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
        seen: set[str] = set()  # sys_ids already read: an instance that ignores the offset repeats them
        for _ in range(self.max_pages):
            response = await self.json.get(f"/api/now/table/{table}", params)
            rows = self._rows(response)
            parsed = self._parse(rows, model, table)
            fresh = [r for r in parsed if not r.sys_id.value or r.sys_id.value not in seen]
            seen.update(r.sys_id.value for r in fresh)
            out.extend(fresh)
            if parsed and not fresh:
                log.warning("%s: %s answered only records it had sent before; stopped paging", self.instance, table)
                report_cut(table, f"the page at sysparm_offset={params['sysparm_offset']} repeated earlier records; "
                           "stopped paging, the list may be incomplete")
                return out
            step = self._next(response, len(rows), params["sysparm_offset"] + len(rows))
            if step is None:
                return out
            params = {**params, "sysparm_offset": step}
        log.warning(
            "%s: %s has more than %d pages; stopped paging", self.instance, table, self.max_pages
        )
        report_cut(table, f"more than max_pages={self.max_pages} pages; raise max_pages or narrow the query")
        return out

    async def records_by_id(
        self, table: str, model: type[R], ids: Iterable[str], field: str = "sys_id", *, required: bool = True
    ) -> list[R]:
        """Records whose ``field`` is one of ``ids``, asked for in chunks. Not ``required``: an
        answer that only gains detail from them is served, degraded, without them."""
        wanted = sorted({i for i in ids if i})
        starts = range(0, len(wanted), ID_CHUNK)
        read = await read_each(
            list(starts),
            lambda start: self.records(table, model, f"{field}IN{','.join(wanted[start : start + ID_CHUNK])}"),
            name=lambda start: f"{table} by {field}, ids {_span(start, len(wanted))}",
            noun=f"{table} look-ups",
            instance=self.instance,
            limit=self.max_concurrency,
            halts=halts,
            required=required,
        )
        return [record for _, records in read for record in records]

    async def who_is_on_call(self, group_ids: Sequence[str], at: datetime) -> list[OnCallEntry]:
        """``GET /api/now/on_call_rota/whoisoncall`` for the groups at a UTC instant."""
        starts = range(0, len(group_ids), ID_CHUNK)
        read = await read_each(
            list(starts),
            lambda start: self._on_call(list(group_ids[start : start + ID_CHUNK]), at),
            name=lambda start: f"whoisoncall, groups {_span(start, len(group_ids))}",
            noun="on-call look-ups",
            instance=self.instance,
            limit=self.max_concurrency,
            halts=halts,
        )
        return [entry for _, entries in read for entry in entries]

    async def _on_call(self, group_ids: list[str], at: datetime) -> list[OnCallEntry]:
        params = {"group_ids": ",".join(group_ids), "date_time": at.strftime(DATE_FORMAT)}
        response = await self.json.get("/api/now/on_call_rota/whoisoncall", params)
        out: list[OnCallEntry] = []
        bad = 0
        for row in self._rows(response):
            try:
                out.append(OnCallEntry.model_validate(row))
            except ValidationError:
                log.warning("%s: skipped an unreadable on-call entry", self.instance)
                bad += 1
        report_dropped("on-call", bad, where="/api/now/on_call_rota/whoisoncall")
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
        bad, first = 0, ""
        for row in rows:
            try:
                out.append(model.model_validate(row))
            except ValidationError as exc:
                # Never log the row itself: it may hold personal data.
                log.warning(
                    "%s: skipped a %s record (%d problems)", self.instance, table, exc.error_count()
                )
                bad, first = bad + 1, first or invalid(exc)
        report_dropped(table, bad, first)
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
