"""HTTP plumbing shared by every live connector: one JSON GET with retries, caps and clean errors.

Connectors own their paging and wire models; this module owns what must be identical everywhere:
retry on 429/5xx/network errors with exponential backoff, jitter and ``Retry-After``; never retry
401/403; refuse oversized or non-JSON bodies; and never log a secret.

One GET, retries included, gets ``timeout_seconds`` in all: httpx's own timeouts are per read, so
a server trickling a byte every few seconds (or a Retry-After of a day) would otherwise hold a
request, and the background load behind it, forever.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import anyio
import httpx
from pydantic import SecretStr
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


def parse_retry_after(
    value: str | None, *, now: datetime | None = None, cap: float = MAX_RETRY_AFTER_SECONDS
) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
        if math.isnan(seconds):
            return None
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, min(seconds, cap))


class _Wait:
    """Honour Retry-After when the server sent one; otherwise exponential backoff with jitter."""

    def __init__(self, base: float, cap: float):
        self._fallback = wait_random_exponential(multiplier=base, max=cap)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retriable) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._fallback(state))


def _failure(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome else None


def _conditional(headers: dict[str, str] | None) -> bool:
    """Whether a request carries a validator, so that 304 Not Modified is an answer."""
    names = {k.lower() for k in headers or {}}
    return bool(names & {"if-none-match", "if-modified-since"})


def _content_length(response: httpx.Response) -> int:
    try:
        return max(0, int(response.headers.get("Content-Length") or 0))
    except ValueError:
        return 0  # a nonsense header is ignored; the streamed size is still capped


MIN_SECRET_CHARS = 6  # shorter "secrets" would mask ordinary words in a message


def _longest(timeout: httpx.Timeout) -> float | None:
    values = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t is not None]
    return max(values) if values else None


def _secrets_of(config: HttpConnectorConfig) -> tuple[str, ...]:
    """The credential values an instance's config holds (every SecretStr field, any name)."""
    found = [getattr(config, name) for name in type(config).model_fields]
    return tuple(v.get_secret_value() for v in found if isinstance(v, SecretStr))


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
        deadline: float | None = None,
        secrets: tuple[str, ...] = (),
    ):
        self.http = http
        self.instance = instance
        self.max_retries = max_retries
        self.max_bytes = max_bytes
        self._wait = _Wait(backoff_base, backoff_cap)
        # Seconds one get() may take, retries included; by default the client's own timeout.
        self.deadline = deadline if deadline is not None else _longest(http.timeout)
        self._secrets = tuple(s for s in secrets if len(s) >= MIN_SECRET_CHARS)

    @classmethod
    def configured(cls, http: httpx.AsyncClient, config: HttpConnectorConfig, *, instance: str) -> JsonClient:
        """A client with the retry, size and time policy an instance's config asks for."""
        return cls(
            http,
            instance=instance,
            max_retries=config.max_retries,
            max_bytes=config.max_response_bytes,
            deadline=config.timeout_seconds,
            secrets=_secrets_of(config),
        )

    def scrub(self, text: str) -> str:
        """``text`` from the vendor (an error message in a 200 answer) with the instance's own
        credentials masked: a server may echo what it was sent, in shapes no pattern knows."""
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        return text

    async def get(
        self, path: str, params: dict[str, Any] | None = None, *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """One GET with retries; returns the successful response or raises a SourceError.

        ``headers`` are added to the client's own. A request that carries a validator
        (``If-None-Match``/``If-Modified-Since``) may come back ``304 Not Modified``, which is
        then returned like a success, with an empty body, for the caller to answer from its copy.
        """
        failed: list[BaseException | None] = []  # the last retriable failure, for a deadline's message
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, _Retriable)),
            before_sleep=lambda state: failed.append(_failure(state)),
            reraise=True,
        )
        try:
            with anyio.move_on_after(self.deadline) as scope:
                async for attempt in retrying:
                    with attempt:
                        return await self._once(path, params, headers)
            if scope.cancelled_caught:
                raise self._too_slow(path, params, failed[-1] if failed else None)
        except _Retriable as exc:
            tries = self.max_retries + 1
            error = SourceUnavailableError(
                f"{exc.args[0]} (after {tries} attempt{'s' if tries > 1 else ''})", instance=self.instance
            )
            error.status = exc.status  # 429 or 5xx; None for a timeout or a refused connection
            raise error from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _too_slow(self, path: str, params: dict[str, Any] | None, last: BaseException | None) -> SourceError:
        """The deadline passed: a trickling answer, or retries that did not fit in it."""
        limit = f"timeout_seconds={self.deadline:g}"
        if isinstance(last, _Retriable):
            error = SourceUnavailableError(
                f"{last.args[0]}; gave up retrying when {limit} ran out", instance=self.instance
            )
            error.status = last.status
            return error
        return SourceUnavailableError(
            f"no complete answer from {self.url_of(path, params)} within {limit}; the source is slow or "
            "sends its answer in a trickle (raise timeout_seconds if it is only slow)",
            instance=self.instance,
        )

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
            where = self.scrub(redact_url(response.headers.get("Location", "nowhere")))
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

    def _retriable(self, response: httpx.Response, url: str) -> SourceError:
        """A 429 or 5xx: retried after the server's Retry-After (or a 429's RateLimit-Reset,
        the delta-seconds header PagerDuty and the IETF draft send), else with backoff."""
        header = "Retry-After"
        asked = response.headers.get(header)
        if asked is None and response.status_code == 429 and "RateLimit-Reset" in response.headers:
            header, asked = "RateLimit-Reset", response.headers["RateLimit-Reset"]
        why = "rate limited" if response.status_code == 429 else "the service is failing"
        hint = f"; {header}: {asked.strip()[:40]}" if asked else ""
        wait = parse_retry_after(asked, cap=math.inf)
        longest = min(MAX_RETRY_AFTER_SECONDS, self.deadline if self.deadline is not None else math.inf)
        if wait is not None and wait > longest:
            # Waiting cannot end inside this call's budget: say so now instead of sleeping it out.
            refused = SourceUnavailableError(
                f"HTTP {response.status_code} from {url}: {why}{hint} (asks to wait longer than the "
                f"{longest:g} s this call may wait); try again later",
                instance=self.instance,
            )
            refused.status = response.status_code
            return refused
        error = _Retriable(
            f"HTTP {response.status_code} from {url}: {why}{hint}", instance=self.instance, retry_after=wait
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
