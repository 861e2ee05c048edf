"""GitHub's rate limits, as its REST documentation states them, shared by every request of one
connector instance.

- Primary limit: every answer carries ``x-ratelimit-remaining`` and ``x-ratelimit-reset`` (UTC
  epoch seconds). Once it is used up (a success with ``remaining: 0``, or a 403/429 with it), no
  request may go out before the reset.
- Secondary limits: a 403/429 with ``retry-after`` means no request before that many seconds; a
  403/429 that says "secondary rate limit" without it means wait at least a minute; a 429 is a
  rate limit whatever its headers say.

The shared JsonClient reads every 403 as missing permission, so :meth:`RateLimitGuard.inspect`, a
response hook on the injected client, recognises these answers first and raises
:class:`RateLimited`. One pause then holds back every request of the instance (concurrent reads
included): waited out when it ends within ``rate_limit_wait_seconds``, else every request fails
at once with :class:`RateLimitExhausted`, which stops the per-repository reads instead of
hammering an API that already said no.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from opscontext.errors import SourceUnavailableError
from opscontext.http import redact_url

SECONDARY_WAIT = 60.0  # GitHub: "Otherwise, wait for at least one minute before retrying."
MAX_PEEK_BYTES = 65_536  # a 403's body is read only to tell a secondary limit from a refusal


class RateLimited(SourceUnavailableError):
    """A rate-limit answer: wait ``retry_after`` seconds, or until epoch second ``reset_at``."""

    def __init__(self, message: str, *, instance: str, retry_after: float | None, reset_at: float | None):
        super().__init__(message, instance=instance)
        self.retry_after = retry_after
        self.reset_at = reset_at


class RateLimitExhausted(SourceUnavailableError):
    """GitHub asked for no more requests until a time further away than the configured wait:
    every further request of this call would be refused too."""


def _epoch(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Seconds a ``retry-after`` header asks for (delta-seconds or an HTTP date), uncapped."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value.strip()).timestamp() - now)
    except (TypeError, ValueError):
        return None


class RateLimitGuard:
    """When the next request of one instance may go out, from what GitHub last said."""

    def __init__(
        self,
        *,
        instance: str,
        wait_cap: float,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
    ):
        self.instance = instance
        self.wait_cap = wait_cap
        self._sleep = sleep
        self._clock = clock
        self.resume_at: float | None = None  # epoch seconds; None: requests may go out now
        self.secondary = False  # whether the pause is a secondary limit's (else the primary's reset)

    async def ready(self) -> None:
        """Return when a request may go out; raise RateLimitExhausted when that is too far away."""
        while self.resume_at is not None:
            resume = self.check()
            await self._sleep(max(resume - self._clock(), 0.0))
            if self.resume_at == resume:  # nobody pushed it further while this one slept
                self.resume_at = None

    def check(self) -> float:
        """The pause's end; raises RateLimitExhausted when it is further than the wait allowed."""
        resume = self.resume_at if self.resume_at is not None else self._clock()
        if resume - self._clock() > self.wait_cap:
            primary = "rate limit exhausted; it resets"
            why = "secondary rate limit hit; GitHub asks to wait until" if self.secondary else primary
            raise RateLimitExhausted(
                f"GitHub {why} {_when(resume)} (more than rate_limit_wait_seconds={self.wait_cap:g} away)",
                instance=self.instance,
            )
        return resume

    def pause(self, limited: RateLimited) -> None:
        """Hold back every request until the time ``limited`` names (a later pause wins)."""
        now = self._clock()
        if limited.reset_at is not None:
            until = limited.reset_at
        else:
            until = now + (limited.retry_after if limited.retry_after is not None else SECONDARY_WAIT)
        if self.resume_at is None or until > self.resume_at:
            self.resume_at, self.secondary = until, limited.reset_at is None

    async def inspect(self, response: httpx.Response) -> None:
        """Response hook: note the primary limit; turn rate-limit refusals into RateLimited."""
        remaining = response.headers.get("X-RateLimit-Remaining")
        reset_at = _epoch(response.headers.get("X-RateLimit-Reset"))
        exhausted = remaining == "0"
        if response.status_code < 400:
            if exhausted and reset_at is not None and (self.resume_at is None or reset_at > self.resume_at):
                self.resume_at, self.secondary = reset_at, False  # the last call allowed: the next one waits
            return
        if response.status_code not in (403, 429):
            return
        url = redact_url(response.request.url)
        if exhausted:
            raise self._limited(response, url, "rate limit exhausted", retry_after=None, reset_at=reset_at)
        asked = retry_after_seconds(response.headers.get("Retry-After"), self._clock())
        if asked is not None or response.status_code == 429 or await _says_secondary(response):
            raise self._limited(response, url, "secondary rate limit", retry_after=asked, reset_at=None)

    def _limited(
        self, response: httpx.Response, url: str, why: str, *, retry_after: float | None, reset_at: float | None
    ) -> RateLimited:
        error = RateLimited(
            f"HTTP {response.status_code} from {url}: {why}",
            instance=self.instance,
            retry_after=retry_after,
            reset_at=reset_at,
        )
        error.status = response.status_code
        return error


async def _says_secondary(response: httpx.Response) -> bool:
    """Whether a 403 without rate-limit headers is GitHub's secondary limit (its message says so)
    rather than missing permission. At most MAX_PEEK_BYTES of the body are read."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body.extend(chunk)
        if len(body) >= MAX_PEEK_BYTES:
            break
    return b"secondary rate limit" in bytes(body).lower()


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
