"""GETs from the GitHub REST API with its rate limits and ``Link`` paging.

GitHub signals an exhausted rate limit with 403 (or 429) and ``X-RateLimit-Remaining: 0``, and
a secondary limit with 403/429 and ``Retry-After``. The shared JsonClient reads every 403 as
missing permission, so a response hook on the injected client recognises rate-limit answers
first and raises :class:`RateLimited`, which this client turns into a short wait (when the reset
is near) or SourceUnavailableError naming the reset time. Other 403s stay auth errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx

from opscontext.errors import SourceDataError, SourceUnavailableError
from opscontext.http import JsonClient, parse_retry_after, redact_url
from opscontext_connectors.github.config import GitHubConfig

log = logging.getLogger(__name__)


class RateLimited(SourceUnavailableError):
    """A rate-limit answer: wait ``retry_after`` seconds, or until epoch second ``reset_at``."""

    def __init__(self, message: str, *, instance: str, retry_after: float | None, reset_at: float | None):
        super().__init__(message, instance=instance)
        self.retry_after = retry_after
        self.reset_at = reset_at


def _epoch(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


class GitHubClient:
    """GETs from the GitHub REST API: ``Link`` paging on the same host, rate limits respected."""

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
        self.wait_cap = config.rate_limit_wait_seconds
        self._sleep = sleep
        self._clock = clock
        self._origin = (http.base_url.scheme, http.base_url.host, http.base_url.port)
        self._exhausted_until: float | None = None
        hooks = http.event_hooks
        hooks["response"] = [*hooks.get("response", []), self._inspect]
        http.event_hooks = hooks

    async def get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        """One GET, waiting out near rate-limit resets and secondary limits, else failing fast."""
        for attempt in range(self.max_retries + 1):
            if self._exhausted_until is not None:
                await self._wait_for(self._exhausted_until - self._clock(), self._exhausted_until)
                self._exhausted_until = None
            try:
                return await self.json.get(path, params)
            except RateLimited as exc:
                if attempt == self.max_retries:
                    raise SourceUnavailableError(
                        f"{exc.args[0]}; still limited after {attempt + 1} tries",
                        instance=self.instance,
                    ) from None
                if exc.reset_at is not None:
                    await self._wait_for(exc.reset_at - self._clock(), exc.reset_at)
                else:
                    # GitHub's advice without a Retry-After: wait at least a minute.
                    wait = exc.retry_after if exc.retry_after is not None else 60.0
                    await self._wait_for(wait, None)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.json.decode(await self.get(path, params))

    async def pages(self, path: str, params: dict[str, Any], *, more: Callable[[list[Any]], bool]) -> list[Any]:
        """Items of a list endpoint, following ``rel="next"`` while ``more(page)`` says so."""
        items: list[Any] = []
        target: str = path
        query: dict[str, Any] | None = params
        for _ in range(self.max_pages):
            response = await self.get(target, query)
            page = self.json.decode(response)
            if not isinstance(page, list):
                raise SourceDataError(
                    f"{redact_url(response.request.url)} did not answer a JSON list",
                    instance=self.instance,
                )
            items.extend(page)
            nxt = response.links.get("next", {}).get("url")
            if not nxt or not page or not more(page):
                return items
            url = httpx.URL(nxt)
            # The client carries the token: only follow links back to the configured API.
            if (url.scheme, url.host, url.port) != self._origin:
                log.warning("%s: ignored a next link to another host", self.instance)
                return items
            target, query = str(url), None
        log.warning("%s: %s has more than %d pages; stopped paging", self.instance, path, self.max_pages)
        return items

    async def _wait_for(self, seconds: float, reset_at: float | None) -> None:
        if seconds > self.wait_cap:
            when = (
                datetime.fromtimestamp(reset_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
                if reset_at is not None
                else f"in {seconds:.0f}s"
            )
            raise SourceUnavailableError(
                f"GitHub rate limit exhausted; it resets {when} (more than "
                f"rate_limit_wait_seconds={self.wait_cap:g} away)",
                instance=self.instance,
            )
        await self._sleep(max(seconds, 0.0))

    async def _inspect(self, response: httpx.Response) -> None:
        """Response hook: note rate-limit headers; turn rate-limit refusals into RateLimited."""
        remaining = response.headers.get("X-RateLimit-Remaining")
        reset_at = _epoch(response.headers.get("X-RateLimit-Reset"))
        exhausted = remaining == "0"
        if response.status_code < 400:
            # The call succeeded but was the last one allowed: the next one waits or fails fast.
            self._exhausted_until = reset_at if exhausted else None
            return
        if response.status_code not in (403, 429):
            return
        url = redact_url(response.request.url)
        if exhausted:
            raise RateLimited(
                f"HTTP {response.status_code} from {url}: rate limit exhausted",
                instance=self.instance,
                retry_after=None,
                reset_at=reset_at,
            )
        if "Retry-After" in response.headers:
            raise RateLimited(
                f"HTTP {response.status_code} from {url}: secondary rate limit",
                instance=self.instance,
                retry_after=parse_retry_after(response.headers["Retry-After"]),
                reset_at=None,
            )
