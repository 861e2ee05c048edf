"""Log records without secrets, whoever logs them.

A connector ``url`` may carry ``user:password@``, query strings carry tokens, and exceptions
quote what they were given. :func:`install` wraps the log record factory, so every record of
every logger (httpx, uvicorn and the MCP SDK included) is cleaned once, when it is made and only
if its level is enabled: the message with its arguments is masked (:func:`opscontext.redact.redact`)
and cut to :data:`MAX_MESSAGE` characters, and an exception's text is masked too. httpx's own
request lines are turned down to WARNING; opscontext logs requests itself at DEBUG, URL redacted.
"""

from __future__ import annotations

import logging
from typing import Any

from opscontext.redact import needs_redaction, redact

MAX_MESSAGE = 2_000
MAX_TRACEBACK = 20_000
QUIET = ("httpx", "httpcore")
_installed = False


def clean_message(message: str) -> str:
    """A log message masked and capped, with the original length when cut."""
    if needs_redaction(message):
        message = redact(message) or ""
    if len(message) > MAX_MESSAGE:
        message = f"{message[:MAX_MESSAGE]}… ({len(message):,} characters)"
    return message


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the handler's to report, as usual
        return
    cleaned = clean_message(message)
    if cleaned is not message:
        record.msg, record.args = cleaned, None
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = (redact(text) or "")[:MAX_TRACEBACK]


def install() -> None:
    """Clean every log record from now on (idempotent) and quiet httpx's request lines."""
    global _installed
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _scrub(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
