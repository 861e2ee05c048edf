"""HTTP plumbing shared by every live connector: one JSON GET with retries, caps and clean errors.

Connectors own their paging and wire models; this module owns what must be identical everywhere:
retry on 429/5xx/network errors with exponential backoff, jitter and ``Retry-After``; never retry
401/403; refuse oversized or non-JSON bodies; and never log a secret.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_random_exponential

from opscontext import __version__
from opscontext.config import HttpConnectorConfig
from opscontext.errors import SourceDataError, SourceError, SourceUnavailableError, error_for_status
from opscontext.redact import redact_query

log = logging.getLogger("opscontext.http")

MAX_RETRY_AFTER_SECONDS = 30.0


def user_agent() -> str:
    return f"opscontext/{__version__} (+https://github.com/opscontext/opscontext)"


MAX_URL_SHOWN = 160


def redact_url(url: str | httpx.URL) -> str:
    """A URL safe to log: credentials and secret-looking query values removed."""
    try:
        u = httpx.URL(str(url))
    except httpx.InvalidURL:
        return redact_query(str(url))
    if u.userinfo:
        u = u.copy_with(username=None, password=None)
    text = redact_query(str(u))
    # A PromQL query can run to kilobytes: the path and the start of the query identify the
    # request; the rest would push the reason out of a capped error message.
    return text if len(text) <= MAX_URL_SHOWN else text[: MAX_URL_SHOWN - 1] + "…"


def redacting_event_hooks() -> dict[str, list[Any]]:
    async def on_response(response: httpx.Response) -> None:
        log.debug("%s %s -> %s", response.request.method, redact_url(response.request.url), response.status_code)

    return {"response": [on_response]}


class _Retriable(SourceUnavailableError):
    def __init__(self, message: str, *, instance: str, retry_after: float | None):
        super().__init__(message, instance=instance)
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, min(seconds, MAX_RETRY_AFTER_SECONDS))


class _Wait:
    """Honour Retry-After when the server sent one; otherwise exponential backoff with jitter."""

    def __init__(self, base: float, cap: float):
        self._fallback = wait_random_exponential(multiplier=base, max=cap)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retriable) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._fallback(state))


def _conditional(headers: dict[str, str] | None) -> bool:
    """Whether a request carries a validator, so that 304 Not Modified is an answer."""
    names = {k.lower() for k in headers or {}}
    return bool(names & {"if-none-match", "if-modified-since"})


def _content_length(response: httpx.Response) -> int:
    try:
        return max(0, int(response.headers.get("Content-Length") or 0))
    except ValueError:
        return 0  # a nonsense header is ignored; the streamed size is still capped


class JsonClient:
    """GETs JSON from one configured API with the shared retry and safety policy."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        instance: str,
        max_retries: int = 3,
        max_bytes: int = 20_000_000,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
    ):
        self.http = http
        self.instance = instance
        self.max_retries = max_retries
        self.max_bytes = max_bytes
        self._wait = _Wait(backoff_base, backoff_cap)

    @classmethod
    def configured(cls, http: httpx.AsyncClient, config: HttpConnectorConfig, *, instance: str) -> JsonClient:
        """A client with the retry and size policy an instance's config asks for."""
        return cls(http, instance=instance, max_retries=config.max_retries, max_bytes=config.max_response_bytes)

    async def get(
        self, path: str, params: dict[str, Any] | None = None, *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """One GET with retries; returns the successful response or raises a SourceError.

        ``headers`` are added to the client's own. A request that carries a validator
        (``If-None-Match``/``If-Modified-Since``) may come back ``304 Not Modified``, which is
        then returned like a success, with an empty body, for the caller to answer from its copy.
        """
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, _Retriable)),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(path, params, headers)
        except _Retriable as exc:
            tries = self.max_retries + 1
            error = SourceUnavailableError(
                f"{exc.args[0]} (after {tries} attempt{'s' if tries > 1 else ''})", instance=self.instance
            )
            error.status = exc.status  # 429 or 5xx; None for a timeout or a refused connection
            raise error from None
        raise AssertionError("unreachable")  # pragma: no cover

    def url_of(self, path: str, params: dict[str, Any] | None = None) -> str:
        """The full URL a GET of ``path`` goes to (base path kept), safe to show in a message."""
        return redact_url(self.http.build_request("GET", path, params=params).url)

    async def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = await self.get(path, params)
        return self.decode(response)

    def decode(self, response: httpx.Response) -> Any:
        try:
            return json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SourceDataError(
                f"{redact_url(response.request.url)} did not return JSON ({exc.msg if hasattr(exc, 'msg') else exc})",
                instance=self.instance,
            ) from None

    async def _once(self, path: str, params: dict[str, Any] | None, headers: dict[str, str] | None) -> httpx.Response:
        request = self.http.build_request("GET", path, params=params, headers=headers)
        # The URL as sent: the base URL's path kept (https://host/pagerduty/services, not
        # https://host/services), query included, secrets masked. Named by every error below.
        url = redact_url(request.url)
        try:
            response = await self.http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, url) from None
        try:
            return await self._read(response, url, conditional=_conditional(headers))
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, url) from None
        finally:
            await response.aclose()

    async def _read(self, response: httpx.Response, url: str, *, conditional: bool) -> httpx.Response:
        """The checked, fully read response, or the SourceError its status or size means."""
        if response.status_code == 429 or response.status_code >= 500:
            raise self._retriable(response, url)
        if response.status_code == 304 and conditional:
            await response.aread()
            return response
        if response.status_code >= 400:
            raise error_for_status(response.status_code, instance=self.instance, url=url)
        if 300 <= response.status_code < 400:
            # Redirects are not followed (credentials must not travel); say where it points.
            where = redact_url(response.headers.get("Location", "nowhere"))
            raise SourceDataError(
                f"HTTP {response.status_code} from {url} redirects to {where}; set `url` to the API's "
                "real address (a login page means the token or URL is wrong)",
                instance=self.instance,
            )
        declared = _content_length(response)
        if declared > self.max_bytes:
            raise self._too_big(url)
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body.extend(chunk)
            if len(body) > self.max_bytes:
                raise self._too_big(url)
        response._content = bytes(body)  # keep the bytes for .json()/.headers users
        return response

    def _retriable(self, response: httpx.Response, url: str) -> _Retriable:
        """A 429 or 5xx: retried after the server's Retry-After (or a 429's RateLimit-Reset,
        the delta-seconds header PagerDuty and the IETF draft send), else with backoff."""
        header = "Retry-After"
        asked = response.headers.get(header)
        if asked is None and response.status_code == 429 and "RateLimit-Reset" in response.headers:
            header, asked = "RateLimit-Reset", response.headers["RateLimit-Reset"]
        why = "rate limited" if response.status_code == 429 else "the service is failing"
        hint = f"; {header}: {asked.strip()[:40]}" if asked else ""
        error = _Retriable(
            f"HTTP {response.status_code} from {url}: {why}{hint}",
            instance=self.instance,
            retry_after=parse_retry_after(asked),
        )
        error.status = response.status_code
        return error

    def _transport_error(self, exc: httpx.HTTPError, url: str) -> SourceError:
        if isinstance(exc, httpx.TimeoutException):
            return _Retriable(f"timed out calling {url}", instance=self.instance, retry_after=None)
        if isinstance(exc, httpx.TransportError):
            reason = " ".join(str(exc).split())[:200] or type(exc).__name__
            if "CERTIFICATE" in reason.upper() or "SSL" in reason.upper():
                # Retrying cannot fix a TLS failure; tell the person what to check instead.
                return SourceUnavailableError(
                    f"TLS failed talking to {url} ({reason}); check the URL's scheme and certificate, or set "
                    "verify_tls = false for a private CA you trust",
                    instance=self.instance,
                )
            return _Retriable(
                f"cannot reach {url}: {type(exc).__name__}: {reason}", instance=self.instance, retry_after=None
            )
        # e.g. a body that does not decode as its Content-Encoding says
        return SourceDataError(f"unreadable answer from {url}: {type(exc).__name__}", instance=self.instance)

    def _too_big(self, url: str) -> SourceDataError:
        return SourceDataError(
            f"response from {url} exceeds max_response_bytes={self.max_bytes}; narrow the query or raise the limit",
            instance=self.instance,
        )
