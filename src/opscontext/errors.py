"""The one error tree every layer speaks.

    OpsContextError                 anything opscontext raises on purpose
    ├── ConfigError                 bad configuration: names the instance and the field; fatal at start-up
    ├── InputError                  a caller's argument is wrong (unknown service, bad time); carries suggestions
    └── SourceError                 a connector instance could not answer; carries the instance name
        ├── SourceAuthError         401/403: credentials are wrong or lack a scope; never retried
        ├── SourceNotFoundError     404 on something that should exist (wrong URL, deleted object)
        ├── SourceUnavailableError  down, slow, 429 after retries, 5xx, timeouts; retriable later
        └── SourceDataError         the source answered, but with something we cannot read

The hub turns a SourceError into a per-source status in the answer; the tool layer turns an
InputError into a ToolError with the same text. Anything else escaping is a bug.

A SourceError's text reaches answers, ``doctor`` and logs, so it is cleaned when the error is
made (secrets masked, control characters removed, length capped), and upstream response bodies
never go into it: a vendor may echo the credentials it was sent. :func:`preview` is how a
message quotes a caller's value: a short prefix and its length, never the whole of it.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_SOURCE_MESSAGE = 600
PREVIEW_CHARS = 80


def preview(value: object, limit: int = PREVIEW_CHARS) -> str:
    """``repr`` of a caller's value, cut to ``limit`` characters with its length when longer."""
    text = str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


class OpsContextError(Exception):
    """Base for every deliberate opscontext error."""


class ConfigError(OpsContextError):
    def __init__(self, message: str, *, instance: str | None = None, field: str | None = None):
        where = ".".join(p for p in ("connectors", instance, field) if p) if instance else field
        super().__init__(f"{where}: {message}" if where else message)
        self.instance = instance
        self.field = field


class InputError(OpsContextError):
    def __init__(self, message: str, *, suggestions: Sequence[str] = ()):
        self.suggestions = tuple(suggestions)
        if self.suggestions:
            message = f"{message} Did you mean: {', '.join(self.suggestions)}?"
        super().__init__(message)


class SourceError(OpsContextError):
    """A connector instance failed. `instance` is filled in by the hub when the connector omits it."""

    retriable = False
    status: int | None = None  # the HTTP status that caused it, when one did

    def __init__(self, message: str, *, instance: str = ""):
        from opscontext.sanitize import clean_text

        super().__init__(clean_text(message, MAX_SOURCE_MESSAGE, multiline=False))
        self.instance = instance

    def __str__(self) -> str:
        base = super().__str__()
        return f"{self.instance}: {base}" if self.instance else base


class SourceAuthError(SourceError):
    pass


class SourceNotFoundError(SourceError):
    pass


class SourceUnavailableError(SourceError):
    retriable = True


class SourceDataError(SourceError):
    pass


def error_for_status(status: int, *, instance: str, url: str) -> SourceError:
    """Map an HTTP status to the error tree, with a message that says what to check.

    ``url`` is the address actually requested, already stripped of credentials. The response
    body is deliberately not quoted: error pages echo tokens and Basic credentials.
    """
    error = _for_status(status, instance=instance, url=url)
    error.status = status
    return error


def _for_status(status: int, *, instance: str, url: str) -> SourceError:
    if status == 401:
        return SourceAuthError(
            f"HTTP 401 from {url}: credentials were rejected; check the token or password", instance=instance
        )
    if status == 403:
        return SourceAuthError(
            f"HTTP 403 from {url}: the credentials lack permission for this call; check the token's scopes",
            instance=instance,
        )
    if status == 404:
        return SourceNotFoundError(f"HTTP 404 from {url}: check the configured url and object ids", instance=instance)
    if status == 429:
        return SourceUnavailableError(f"HTTP 429 from {url}: rate limited, retries exhausted", instance=instance)
    if status >= 500:
        return SourceUnavailableError(
            f"HTTP {status} from {url}: the service is failing; check its status and logs", instance=instance
        )
    return SourceDataError(
        f"HTTP {status} from {url}: the source refused the request; check the connector's settings "
        "(url, filters, API version) and the source's own log for the reason",
        instance=instance,
    )
