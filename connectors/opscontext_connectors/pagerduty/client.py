"""PagerDuty REST API v2 transport: classic offset paging over the shared JsonClient.

Every list endpoint answers `{<key>: [...], "limit", "offset", "more", "total"}`; we follow
`more` to the end, bounded by `max_pages` and by PagerDuty's own ceiling (`offset + limit` may
not pass 10,000: the API answers 400 beyond it). A list cut by either is reported with the answer
(it is partial). Retries, size caps and error mapping live in `opscontext.http.JsonClient`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import httpx

from opscontext.errors import SourceDataError
from opscontext.http import JsonClient
from opscontext.problems import report_cut
from opscontext_connectors.pagerduty.config import MAX_LIMIT, MAX_POSITION, PagerDutyConfig

log = logging.getLogger(__name__)

Record = dict[str, Any]
Params = dict[str, Any]


def pd_time(at: datetime) -> str:
    """PagerDuty rejects non-UTC datetimes on several endpoints, so always send `...Z`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class PagerDutyClient:
    """GETs from PagerDuty REST API v2 with classic offset paging, over the core's JsonClient."""

    def __init__(self, http: httpx.AsyncClient, config: PagerDutyConfig, *, instance: str):
        self.instance = instance
        self.json = JsonClient.configured(http, config, instance=instance)
        self.limit = min(config.page_size, MAX_LIMIT)
        self.max_pages = config.max_pages

    async def list_all(self, path: str, key: str, params: Params | None = None) -> list[Record]:
        """Every record of a paged list endpoint, following `more` up to `max_pages`."""
        records: list[Record] = []
        seen: set[str] = set()  # ids already listed: a server that ignores `offset` repeats them
        offset = 0
        for _ in range(self.max_pages):
            if offset + self.limit > MAX_POSITION:
                report_cut(path, f"PagerDuty lists at most {MAX_POSITION:,} records; narrow the query")
                return records
            query = {**(params or {}), "limit": self.limit, "offset": offset}
            body = await self.json.get_json(path, query)
            batch = self.records(body, key, path)
            fresh = [r for r in batch if not _repeated(r, seen)]
            records.extend(fresh)
            more = isinstance(body, dict) and body.get("more") is True
            if more and batch and not fresh:
                log.warning("%s: %s answered the same records again at offset %d", self.instance, path, offset)
                report_cut(path, f"PagerDuty repeated the records of an earlier page at offset {offset} (more: true); "
                           "stopped paging, the list may be incomplete")
                return records
            if not more or not batch:
                return records
            offset += len(batch)
        log.warning("%s: %s still had more pages after max_pages=%d", self.instance, path, self.max_pages)
        report_cut(path, f"more than max_pages={self.max_pages} pages; raise max_pages")
        return records

    async def get_list(self, path: str, key: str, params: Params | None = None) -> list[Record]:
        """The records of one unpaged endpoint (e.g. service dependencies)."""
        body = await self.json.get_json(path, params)
        return self.records(body, key, path)

    def records(self, body: Any, key: str, path: str) -> list[Record]:
        if not isinstance(body, dict) or not isinstance(body.get(key), list):
            raise SourceDataError(
                f"{self.json.url_of(path)} answered without a `{key}` list; is the url a PagerDuty REST API?",
                instance=self.instance,
            )
        return [item for item in body[key] if isinstance(item, dict)]


def _repeated(record: Record, seen: set[str]) -> bool:
    """Whether ``record`` was listed before (noting it when not); records without an id never are."""
    ident = record.get("id")
    if not isinstance(ident, str):
        return False
    if ident in seen:
        return True
    seen.add(ident)
    return False
