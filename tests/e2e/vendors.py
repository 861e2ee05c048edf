"""Fake vendor APIs for the end-to-end world: recorded answers behind a switch that breaks them.

Each :class:`Vendor` answers like the real API (PagerDuty from the payloads recorded under
``fixtures/http/pagerduty/``, Prometheus with servicegraph query results between demo services)
until a test flips its ``mode`` to one of the ways a live vendor fails. Both sit behind one respx
router handed to the app as its transport, so nothing inside opscontext is patched.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import httpx
import respx

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PAGERDUTY = "https://api.pagerduty.com"
PROMETHEUS = "http://prometheus.e2e.test:9090"

HOLD_AT_MOST = 30.0  # seconds; a safety net, the app cancels held requests when it closes
Mode = Literal["ok", "down", "slow", "rate-limited", "garbage"]
FAILURES: tuple[Mode, ...] = ("down", "slow", "rate-limited", "garbage")

# Observed calls (caller, callee, requests/s, failed requests/s), named as the demo catalog
# names its services. checkout-service -> payment-service and api-gateway -> checkout-service
# are declared in the catalog too; the other two are traffic the catalog does not know about.
TRAFFIC: tuple[tuple[str, str, float, float], ...] = (
    ("api-gateway", "checkout-service", 120.0, 1.2),
    ("checkout-service", "payment-service", 40.0, 6.0),
    ("payment-service", "feature-flags-service", 15.0, 0.0),
    ("fulfillment-worker", "payment-service", 3.0, 0.3),
)
DECLARED_AND_OBSERVED = {("api-gateway", "checkout-service"), ("checkout-service", "payment-service")}
OBSERVED_ONLY = {("payment-service", "feature-flags-service"), ("fulfillment-worker", "payment-service")}


class Vendor:
    """One fake API: ``answer`` serves requests while ``mode`` is ``ok``; other modes fail."""

    def __init__(self, name: str, answer: Callable[[httpx.Request], httpx.Response]):
        self.name = name
        self.answer = answer
        self.mode: Mode = "ok"
        self.hits: Counter[str] = Counter()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.hits[str(request.url)] += 1
        if self.mode == "down":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if self.mode == "slow":
            await self._until_recovered()  # then answers correctly, long after the deadline
        if self.mode == "rate-limited":
            # Retry-After 0 lets the one configured retry happen at once; it is refused again.
            return httpx.Response(429, headers={"Retry-After": "0"}, json={"error": "Rate Limit Exceeded"})
        if self.mode == "garbage":
            return httpx.Response(
                200, headers={"Content-Type": "text/html"}, content=b"<html><body>502 Bad Gateway</body>"
            )
        return self.answer(request)

    async def _until_recovered(self) -> None:
        """Hold a request while the vendor is slow; it answers as soon as the vendor recovers,
        the way queued requests drain when an overloaded API catches up."""
        for _ in range(int(HOLD_AT_MOST / 0.02)):
            if self.mode != "slow":
                return
            await asyncio.sleep(0.02)


def recorded(vendor: str, name: str) -> Any:
    return json.loads((FIXTURES / "http" / vendor / name).read_text(encoding="utf-8"))


def pagerduty_answer(request: httpx.Request) -> httpx.Response:
    """PagerDuty REST API v2 as recorded: pages served by the `offset` they were recorded at."""
    path, params = request.url.path, request.url.params
    paged = {
        "/services": ("services_page1.json", "services_page2.json"),
        "/escalation_policies": ("escalation_policies_page1.json", "escalation_policies_page2.json"),
    }
    if path in paged:
        pages = {recorded("pagerduty", p)["offset"]: recorded("pagerduty", p) for p in paged[path]}
        return httpx.Response(200, json=pages[int(params.get("offset", "0"))])
    if path == "/incidents":
        name = "incidents_open.json" if params.get("date_range") == "all" else "incidents_recent.json"
        return httpx.Response(200, json=recorded("pagerduty", name))
    if path.startswith("/service_dependencies/technical_services/"):
        sid = path.rsplit("/", 1)[1]
        return httpx.Response(200, json=recorded("pagerduty", f"dependencies_{sid}.json"))
    single = {
        "/teams": "teams.json",
        "/users": "users.json",
        "/oncalls": "oncalls.json",
        "/change_events": "change_events.json",
        "/abilities": "abilities.json",
    }
    if path in single:
        return httpx.Response(200, json=recorded("pagerduty", single[path]))
    return httpx.Response(404, json={"error": {"message": "Not Found", "code": 2100}})


def _vector(values: dict[tuple[str, str], float]) -> dict[str, Any]:
    """An instant-vector answer of ``GET /api/v1/query``, as Prometheus documents it."""
    result = [
        {"metric": {"client": client, "server": server}, "value": [1773151200.0, repr(value)]}
        for (client, server), value in values.items()
    ]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def prometheus_answer(request: httpx.Request) -> httpx.Response:
    """Servicegraph rates between demo services; rule alerts as recorded."""
    path = request.url.path
    if path == "/api/v1/query":
        query = request.url.params.get("query", "")
        column = 3 if "failed" in query else 2
        return httpx.Response(200, json=_vector({(t[0], t[1]): float(t[column]) for t in TRAFFIC}))
    if path == "/api/v1/alerts":
        return httpx.Response(200, json=recorded("prometheus", "alerts.json"))
    if path == "/api/v1/status/buildinfo":
        return httpx.Response(200, json=recorded("prometheus", "buildinfo.json"))
    return httpx.Response(404, json={"status": "error", "errorType": "not_found", "error": path})


class Vendors:
    """Both fake vendors behind one respx router; ``transport`` is what the app is given."""

    def __init__(self) -> None:
        self.pagerduty = Vendor("pagerduty", pagerduty_answer)
        self.prometheus = Vendor("traffic", prometheus_answer)
        self.router = respx.Router(assert_all_called=False)
        self.router.route(url__startswith=PAGERDUTY).mock(side_effect=self.pagerduty)
        self.router.route(url__startswith=PROMETHEUS).mock(side_effect=self.prometheus)
        self.transport = httpx.MockTransport(self.router.async_handler)

    def by_instance(self, name: str) -> Vendor:
        return {v.name: v for v in (self.pagerduty, self.prometheus)}[name]
