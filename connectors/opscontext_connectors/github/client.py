"""GETs from the GitHub REST API: bounded concurrency, rate limits, ``Link`` paging, ETags.

- At most ``max_concurrency`` requests of one instance are in flight at once, however many
  repositories are read concurrently (GitHub allows 100 concurrent requests per user and asks
  integrations to stay well below that).
- Rate-limit answers pause every request of the instance (:mod:`.ratelimit`).
- Lists are followed through ``Link: rel="next"`` only back to the configured API.
- Conditional requests: each answer's ``ETag`` is kept (trimmed to the fields opscontext reads)
  and sent back as ``If-None-Match``; GitHub answers ``304 Not Modified`` for an unchanged list,
  which does not count against the primary rate limit, so repeated calls over a quiet estate
  cost almost none of the hourly 5,000.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from opscontext.errors import SourceDataError
from opscontext.http import JsonClient, redact_url
from opscontext.memo import LruDict
from opscontext.problems import report_cut
from opscontext_connectors.github.config import GitHubConfig
from opscontext_connectors.github.ratelimit import RateLimited, RateLimitExhausted, RateLimitGuard

log = logging.getLogger(__name__)

MAX_ETAG_PAGES = 4096  # answers remembered for conditional requests (trimmed: a few MB at most)
Trim = Callable[[Any], Any]


@dataclass(frozen=True)
class Page:
    """One decoded answer and the ``rel="next"`` link it carried."""

    body: Any
    next: str | None
    etag: str | None = None


class GitHubClient:
    """The HTTP side of one GitHub connector instance: bounded concurrency, rate limits, ``Link``
    paging on the same host, conditional requests."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: GitHubConfig,
        *,
        instance: str,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.time,
    ):
        self.json = JsonClient.configured(http, config, instance=instance)
        self.instance = instance
        self.max_retries = config.max_retries
        self.max_pages = config.max_pages
        self.guard = RateLimitGuard(
            instance=instance, wait_cap=config.rate_limit_wait_seconds, sleep=sleep, clock=clock
        )
        self.not_modified = 0  # answers served from the ETag store after a 304
        self._gate = asyncio.Semaphore(config.max_concurrency)
        self._etags: LruDict[str, Page] = LruDict(MAX_ETAG_PAGES)
        self._origin = (http.base_url.scheme, http.base_url.host, http.base_url.port)
        hooks = http.event_hooks
        hooks["response"] = [*hooks.get("response", []), self.guard.inspect]
        http.event_hooks = hooks

    async def get(
        self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """One GET, waiting out near rate-limit resets and secondary limits, else failing fast."""
        for attempt in range(self.max_retries + 1):
            await self.guard.ready()
            try:
                async with self._gate:
                    return await self.json.get(path, params, headers=headers)
            except RateLimited as exc:
                self.guard.pause(exc)
                self.guard.check()  # a pause longer than rate_limit_wait_seconds ends the call here
                if attempt == self.max_retries:
                    raise RateLimitExhausted(
                        f"{exc.args[0]}; still limited after {attempt + 1} tries", instance=self.instance
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def page(self, target: str, params: dict[str, Any] | None = None, *, trim: Trim | None = None) -> Page:
        """One answer, decoded; from the ETag store when GitHub says it did not change."""
        key = str(self.json.http.build_request("GET", target, params=params).url)
        known = self._etags.get(key)
        headers = {"If-None-Match": known.etag} if known is not None and known.etag else None
        response = await self.get(target, params, headers)
        if response.status_code == 304 and known is not None:
            self.not_modified += 1
            return known
        body = self.json.decode(response)
        if trim is not None and isinstance(body, list):
            body = [trim(item) for item in body]
        found = Page(body, response.links.get("next", {}).get("url"), response.headers.get("ETag"))
        if found.etag:
            self._etags[key] = found
        return found

    async def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """The decoded answer of one GET (no ETag: for calls that change every time)."""
        return self.json.decode(await self.get(path, params))

    async def pages(
        self, path: str, params: dict[str, Any], *, more: Callable[[list[Any]], bool], trim: Trim | None = None
    ) -> list[Any]:
        """Items of a list endpoint, following ``rel="next"`` while ``more(page)`` says so."""
        items: list[Any] = []
        target: str = path
        query: dict[str, Any] | None = params
        visited: set[str] = set()
        for _ in range(self.max_pages):
            visited.add(str(self.json.http.build_request("GET", target, params=query).url))
            found = await self.page(target, query, trim=trim)
            if not isinstance(found.body, list):
                url = redact_url(self.json.http.build_request("GET", target, params=query).url)
                raise SourceDataError(f"{url} did not answer a JSON list", instance=self.instance)
            items.extend(found.body)
            if not found.next or not found.body or not more(found.body):
                return items
            link = httpx.URL(found.next)
            # The client carries the token: only follow links back to the configured API.
            if (link.scheme, link.host, link.port) != self._origin:
                log.warning("%s: ignored a next link to another host", self.instance)
                report_cut(path, f"the next page is on another host ({redact_url(link)}); not followed, so the "
                           "token stays with the configured API; check `url`")
                return items
            if str(self.json.http.build_request("GET", str(link)).url) in visited:
                log.warning("%s: %s links back to a page already read; stopped paging", self.instance, path)
                report_cut(path, "the next link points back to a page already read; stopped paging, the list "
                           "may be incomplete")
                return items
            target, query = str(link), None
        log.warning("%s: %s has more than %d pages; stopped paging", self.instance, path, self.max_pages)
        report_cut(path, f"more than max_pages={self.max_pages} pages inside the window; raise max_pages")
        return items
