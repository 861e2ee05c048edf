"""Every HTTP connector behind a reverse proxy's path names the URL it really asked when the
answer is refused or unreadable: https://gw/pagerduty/services, never https://gw/services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from opscontext.errors import SourceError
from opscontext.models import TimeWindow
from opscontext.registry import ConnectorContext, build_http_client, discover

pytestmark = pytest.mark.anyio

GATEWAY = "https://gw.acme.example"
WINDOW = TimeWindow(since=datetime(2026, 3, 10, 12, tzinfo=UTC), until=datetime(2026, 3, 10, 15, tzinfo=UTC))
Call = Callable[[Any], Awaitable[object]]

# type -> (extra config, capability call, the endpoint the call asks first)
CASES: dict[str, tuple[dict[str, Any], Call, str]] = {
    "pagerduty": ({"token": "u+key"}, lambda c: c.changes(WINDOW), "/change_events"),
    "dynatrace": ({"token": "dt0c01.EXAMPLE"}, lambda c: c.changes(WINDOW), "/api/v2/events"),
    "servicenow": ({"token": "oauth-token"}, lambda c: c.changes(WINDOW), "/api/now/table/change_request"),
    "github": ({"token": "ghp_x", "repositories": ["acme/pay"]}, lambda c: c.changes(WINDOW), "/repos/acme/pay/"),
    "backstage-api": ({}, lambda c: c.catalog(), "/api/catalog/entities/by-query"),
    "alertmanager-api": ({}, lambda c: c.alerts(WINDOW), "/api/v2/alerts"),
    "prometheus": ({}, lambda c: c.alerts(WINDOW), "/api/v1/alerts"),
}


async def connector(kind: str, base: str, extra: dict[str, Any], clients: list[httpx.AsyncClient]) -> Any:
    spec = discover()[kind]
    config = spec.config_model.model_validate({"type": kind, "url": base, "max_retries": 0, **extra})
    http = build_http_client(config)
    clients.append(http)
    return spec.factory(ConnectorContext(name=kind, config=config, http=http))


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectTimeout("timed out", request=request)


# How the gateway answers: refused, a login page, JSON of another shape, or not at all.
ANSWERS: dict[str, Callable[[httpx.Request], httpx.Response]] = {
    "refused": lambda r: httpx.Response(401),
    "html": lambda r: httpx.Response(200, text="<html>gateway</html>"),
    "shape": lambda r: httpx.Response(200, json={"unexpected": True}),
    "timeout": timeout,
}


@respx.mock
@pytest.mark.parametrize("answer", sorted(ANSWERS))
@pytest.mark.parametrize("kind", sorted(CASES))
async def test_errors_name_the_url_with_the_gateway_path(
    kind: str, answer: str, clients: list[httpx.AsyncClient]
) -> None:
    extra, call, endpoint = CASES[kind]
    base = f"{GATEWAY}/{kind}"
    respx.get(url__startswith=GATEWAY).mock(side_effect=ANSWERS[answer])
    with pytest.raises(SourceError) as caught:
        await call(await connector(kind, base, extra, clients))
    assert f"{base}{endpoint}" in str(caught.value)
