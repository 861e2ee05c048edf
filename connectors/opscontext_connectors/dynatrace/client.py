"""Dynatrace API v2 transport: `nextPageKey` cursor paging over the shared JsonClient.

Dynatrace documents that once `nextPageKey` is set, every other query parameter must be omitted
(the cursor encodes the original query), so follow-up requests carry the cursor alone. Each
capability is one such list (no per-item requests), so a failure fails the call; a list cut at
`max_pages` is served and reported partial.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from opscontext.errors import SourceDataError
from opscontext.http import JsonClient
from opscontext.problems import report_cut
from opscontext_connectors.dynatrace.config import MAX_PAGE_SIZE, DynatraceConfig

log = logging.getLogger(__name__)

Record = dict[str, Any]


class DynatraceClient:
    """GETs from Dynatrace API v2 with ``nextPageKey`` paging, over the core's JsonClient."""

    def __init__(self, http: httpx.AsyncClient, config: DynatraceConfig, *, instance: str):
        self.instance = instance
        self.json = JsonClient.configured(http, config, instance=instance)
        self.page_size = min(config.page_size, MAX_PAGE_SIZE)
        self.max_pages = config.max_pages

    async def list_all(self, path: str, key: str, params: dict[str, Any]) -> list[Record]:
        """Every record of a cursor-paged endpoint, up to `max_pages` pages."""
        records: list[Record] = []
        query: dict[str, Any] = {**params, "pageSize": self.page_size}
        cursors: set[str] = set()
        for _ in range(self.max_pages):
            body = await self.json.get_json(path, query)
            records.extend(self.records(body, key, path))
            cursor = body.get("nextPageKey")
            if not isinstance(cursor, str) or not cursor:
                return records
            if cursor in cursors:  # a cursor pointing back: following it would only repeat pages
                log.warning("%s: %s sent a nextPageKey it had sent before; stopped paging", self.instance, path)
                report_cut(
                    path, "Dynatrace repeated an earlier nextPageKey; stopped paging, the list may be incomplete"
                )
                return records
            cursors.add(cursor)
            query = {"nextPageKey": cursor}
        log.warning(
            "%s: %s still had a nextPageKey after max_pages=%d; answer is partial",
            self.instance,
            path,
            self.max_pages,
        )
        report_cut(path, f"more than max_pages={self.max_pages} pages; raise max_pages or narrow the selector")
        return records

    def records(self, body: Any, key: str, path: str) -> list[Record]:
        if not isinstance(body, dict) or not isinstance(body.get(key), list):
            raise SourceDataError(
                f"{self.json.url_of(path)} answered without a `{key}` list; is the url a Dynatrace environment?",
                instance=self.instance,
            )
        return [item for item in body[key] if isinstance(item, dict)]
