"""HTTP transports for connector tests: recorded vendor answers, and the failures every source meets.

``recorded`` serves JSON files (a vendor's real answers, saved) by request path, so a connector
under test runs its own client, paging and mapping against data it cannot tell from the vendor's.
A request nothing was recorded for gets a 404 whose body names the path, which the connector
turns into a SourceError: the failing test then says which answer is missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

Handler = Callable[[httpx.Request], httpx.Response]
Answer = Path | Handler


def json_file(path: Path, *, status: int = 200, headers: Mapping[str, str] | None = None) -> Handler:
    """A handler answering every request with the JSON document in ``path``."""
    body = path.read_bytes()
    json.loads(body)  # a broken recording fails here, naming the file, not deep in a connector
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return lambda request: httpx.Response(status, content=body, headers=all_headers)


def by_param(param: str, answers: Mapping[str, Answer], *, default: str | None = None) -> Handler:
    """A handler choosing the answer by one query parameter (a page's offset, cursor or query).

    ``default`` is the value assumed when the request does not carry ``param`` (the first page).
    """
    handlers = {value: _handler(answer) for value, answer in answers.items()}

    def answer(request: httpx.Request) -> httpx.Response:
        value = request.url.params.get(param, default)
        chosen = handlers.get(value) if value is not None else None
        if chosen is None:
            return _missing(request, f"{param}={value}")
        return chosen(request)

    return answer


def recorded(routes: Mapping[str, Answer]) -> httpx.MockTransport:
    """A transport answering GETs by URL path: a JSON file, or a handler for paged answers."""
    handlers = {path: _handler(answer) for path, answer in routes.items()}

    def answer(request: httpx.Request) -> httpx.Response:
        handler = handlers.get(request.url.path)
        if handler is None or request.method != "GET":
            return _missing(request)
        return handler(request)

    return httpx.MockTransport(answer)


def respond(status: int, body: bytes = b"{}") -> httpx.MockTransport:
    """A transport answering every request with ``status`` and ``body``."""
    return httpx.MockTransport(
        lambda request: httpx.Response(status, content=body, headers={"Content-Type": "application/json"})
    )


def refuse() -> httpx.MockTransport:
    """A transport whose every connection is refused."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    return httpx.MockTransport(fail)


def _handler(answer: Answer) -> Handler:
    return json_file(answer) if isinstance(answer, Path) else answer


def _missing(request: httpx.Request, detail: str = "") -> httpx.Response:
    what = f"{request.method} {request.url.path}" + (f" ({detail})" if detail else "")
    return httpx.Response(404, json={"error": f"nothing recorded for {what}"})
