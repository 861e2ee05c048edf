"""Client for the Backstage catalog REST API: ``GET /api/catalog/entities/by-query``.

Paging follows the documented cursor protocol: the first request carries the filter and limit;
later requests carry only ``cursor`` (and limit), because the cursor already encodes the query
and the server ignores a filter sent beside it. Filter sets in separate ``filter`` parameters
are OR-ed, which is how one query asks for several kinds. The catalog is one cursor-paged list
(no per-entity requests), so a failure fails the call; a list cut at ``max_pages`` is served and
reported partial, and so is one from which entities were left out (malformed, or two entities
opscontext would take for one: :mod:`~opscontext_connectors.backstage.identity`).
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from opscontext.errors import SourceDataError
from opscontext.http import JsonClient
from opscontext.problems import LoadReport, Problem, report, report_cut
from opscontext_connectors.backstage.identity import first_definitions
from opscontext_connectors.backstage.wire import MAPPED_KINDS, Entity, QueryResponse, Triaged

log = logging.getLogger(__name__)

QUERY_PATH = "/api/catalog/entities/by-query"


class BackstageClient:
    """Pages through the catalog's ``/api/catalog/entities/by-query`` by cursor, one kind filter set."""

    def __init__(self, json: JsonClient, *, page_size: int, max_pages: int, instance: str):
        self.json = json
        self.page_size = page_size
        self.max_pages = max_pages
        self.instance = instance

    def _first_params(self, limit: int) -> dict[str, Any]:
        return {"filter": [f"kind={kind.lower()}" for kind in MAPPED_KINDS], "limit": limit}

    async def page(self, params: dict[str, Any]) -> QueryResponse:
        body = await self.json.get_json(QUERY_PATH, params)
        try:
            return QueryResponse.model_validate(body)
        except ValidationError:
            raise SourceDataError(
                f"{self.json.url_of(QUERY_PATH)} did not answer with {{items, pageInfo}}; "
                "is `url` the Backstage backend?",
                instance=self.instance,
            ) from None

    async def count(self) -> int:
        """Entities visible to the token, from one one-item page."""
        response = await self.page(self._first_params(1))
        return response.total_items if response.total_items is not None else len(response.items)

    async def entities(self) -> list[Entity]:
        """Every entity of the kinds we map, following `nextCursor` to the end or max_pages."""
        raw: list[Any] = []
        params = self._first_params(self.page_size)
        seen_cursors: set[str] = set()
        for _ in range(self.max_pages):
            response = await self.page(params)
            raw.extend(response.items)
            cursor = response.page_info.next_cursor
            if not cursor or not response.items:
                break
            if cursor in seen_cursors:  # pointing back: the server says there is more, we cannot reach it
                log.warning("%s: the catalog repeated a cursor; stopped paging", self.instance)
                report_cut(QUERY_PATH, "the catalog repeated an earlier cursor; stopped paging, the list may be "
                           "incomplete")
                break
            seen_cursors.add(cursor)
            params = {"cursor": cursor, "limit": self.page_size}
        else:
            log.warning(
                "%s: stopped after max_pages=%d; the catalog may be incomplete",
                self.instance,
                self.max_pages,
            )
            report_cut(QUERY_PATH, f"more than max_pages={self.max_pages} pages; raise max_pages")
        return self._usable(raw)

    def _usable(self, raw: list[Any]) -> list[Entity]:
        """The entities opscontext can use, each once; the others reported (the answer is partial)."""
        found = Triaged().add(raw)
        # The catalog holds one entity per ref; a repeat from the same place is a page boundary
        # that moved while paging, not a second definition.
        entities, dups = first_definitions((_location(e), [e]) for e in found.entities)
        reasons = [*found.left_out, *(d.reason for d in dups if d.where != d.first_where)]
        if reasons:
            log.warning("%s: left out %d entities: %s", self.instance, len(reasons), reasons[0])
            problems = tuple(Problem(QUERY_PATH, r, skipped=False) for r in reasons)
            report(LoadReport(1, problems, noun="lists", partly="entities left out"))
        return entities


def _location(entity: Entity) -> str:
    """Where the catalog read the entity from, as it records it."""
    return entity.metadata.annotations.get("backstage.io/managed-by-location") or "the catalog"
