"""The sample each built-in connector type runs the contract against: the demo world for the file
connectors (at the moment it was recorded), and recorded vendor answers for the HTTP ones, each at
the instant its recording is about."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from opscontext.models import RatioSli, SliRequest
from opscontext.testing import ConnectorSample, by_param, recorded

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "demo"
HTTP = REPO / "fixtures" / "http"
DEMO_NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # the demo's time_anchor


# One of the demo's SLOs, addressed to the instance under test: what the SLI evaluators are asked.
PAYMENTS_SLI = SliRequest(
    slo="payment-authorization-success",
    evaluator="under-test",
    sli=RatioSli(
        kind="good",
        numerator='http_requests_total{job="payment-service",code!~"5.."}',
        total='http_requests_total{job="payment-service"}',
    ),
    windows=(300, 3600),
)


def demo() -> ConnectorSample:
    """A file connector reading its part of the demo world (the spec's example path)."""
    return ConnectorSample(now=DEMO_NOW, base_dir=DEMO, arguments={"sli": ((PAYMENTS_SLI,), DEMO_NOW)})


def pagerduty() -> ConnectorSample:
    pd = HTTP / "pagerduty"

    def incidents(request: httpx.Request) -> httpx.Response:
        open_now = request.url.params.get("date_range") == "all"
        name = "incidents_open.json" if open_now else "incidents_recent.json"
        return httpx.Response(200, json=json.loads((pd / name).read_text()))

    routes: dict[str, Any] = {
        "/services": by_param("offset", {"0": pd / "services_page1.json", "2": pd / "services_page2.json"}),
        "/teams": pd / "teams.json",
        "/users": pd / "users.json",
        "/oncalls": pd / "oncalls.json",
        "/escalation_policies": by_param(
            "offset", {"0": pd / "escalation_policies_page1.json", "1": pd / "escalation_policies_page2.json"}
        ),
        "/incidents": incidents,
        "/change_events": pd / "change_events.json",
        **{
            f"/service_dependencies/technical_services/{sid}": pd / f"dependencies_{sid}.json"
            for sid in ("PCHKOUT", "PPAYAPI", "PLEDGER")
        },
    }
    return ConnectorSample(now=datetime(2024, 5, 9, 10, 0, tzinfo=UTC), window=timedelta(hours=1),
                           transport=recorded(routes))


def dynatrace() -> ConnectorSample:
    dt = HTTP / "dynatrace"

    def cursor(first: str, second: str) -> Any:
        key = json.loads((dt / first).read_text())["nextPageKey"]
        return by_param("nextPageKey", {"first": dt / first, key: dt / second}, default="first")

    routes = {
        "/api/v2/entities": cursor("entities_page1.json", "entities_page2.json"),
        "/api/v2/problems": cursor("problems_page1.json", "problems_page2.json"),
        "/api/v2/events": dt / "events.json",
    }
    return ConnectorSample(now=datetime(2024, 5, 9, 10, 0, tzinfo=UTC), window=timedelta(hours=1),
                           transport=recorded(routes))


def prometheus() -> ConnectorSample:
    prom = HTTP / "prometheus"
    by_word = [  # a word only one default query holds -> its recorded answer
        ("request_failed_total", "query_failed.json"),
        ("service_graph_request_total", "query_requests.json"),
        ("5..", "health_error_rate.json"),
        ("histogram_quantile", "health_latency_p99.json"),
        ("", "health_request_rate.json"),
    ]

    def query(request: httpx.Request) -> httpx.Response:
        text = request.url.params["query"]
        if text.startswith("sum(increase(http_requests_total"):  # an SLI: good or total events
            count = "9990" if "code!~" in text else "10000"
            at = float(request.url.params["time"])
            vector = {"resultType": "vector", "result": [{"metric": {}, "value": [at, count]}]}
            return httpx.Response(200, json={"status": "success", "data": vector})
        name = next(file for word, file in by_word if word in text)
        return httpx.Response(200, json=json.loads((prom / name).read_text()))

    routes = {"/api/v1/alerts": prom / "alerts.json", "/api/v1/query": query}
    now = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    return ConnectorSample(
        now=now,
        services=("payment-service", "checkout-service"),
        arguments={"sli": ((PAYMENTS_SLI,), now)},
        transport=recorded(routes),
    )


def alertmanager_api() -> ConnectorSample:
    routes = {"/api/v2/alerts": HTTP / "alertmanager" / "alerts.json"}
    return ConnectorSample(now=datetime(2025, 3, 14, 10, 0, tzinfo=UTC), window=timedelta(hours=1),
                           transport=recorded(routes))


def backstage_api() -> ConnectorSample:
    bs = HTTP / "backstage"
    pages = [bs / f"entities-by-query-page-{n}.json" for n in (1, 2, 3)]
    cursors = [json.loads(p.read_text())["pageInfo"]["nextCursor"] for p in pages[:2]]
    answers = {"first": pages[0], cursors[0]: pages[1], cursors[1]: pages[2]}
    routes = {"/api/catalog/entities/by-query": by_param("cursor", answers, default="first")}
    return ConnectorSample(now=DEMO_NOW, transport=recorded(routes))


def github() -> ConnectorSample:
    gh = HTTP / "github"
    repo = "/repos/acme/payment-service"
    routes: dict[str, Any] = {
        f"{repo}/deployments": gh / "deployments.page1.json",
        f"{repo}/releases": gh / "releases.page1.json",
        **{
            f"{repo}/deployments/{n}/statuses": gh / f"deployment-{n}-statuses.json"
            for n in (1450001, 1450002, 1450003)
        },
    }
    return ConnectorSample(now=datetime(2026, 3, 10, 15, 0, tzinfo=UTC), window=timedelta(hours=3),
                           config={"environments": []}, transport=recorded(routes))


def servicenow() -> ConnectorSample:
    sn = HTTP / "servicenow"
    paged = {"cmdb_ci_service": 2, "change_request": 2}

    def rows(table: str) -> list[Any]:
        names = [f"{table}.page{n}" for n in range(1, paged[table] + 1)] if table in paged else [table]
        return [row for name in names for row in json.loads((sn / f"{name}.json").read_text())["result"]]

    def instance(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/now/on_call_rota/whoisoncall":
            return httpx.Response(200, json=json.loads((sn / "whoisoncall.json").read_text()))
        first = request.url.params.get("sysparm_offset", "0") == "0"  # every row fits one page
        table = request.url.path.removeprefix("/api/now/table/")
        return httpx.Response(200, json={"result": rows(table) if first else []})

    routes = {
        f"/api/now/table/{table}": instance
        for table in ("cmdb_ci_service", "cmdb_ci_appl", "cmdb_rel_ci", "change_request", "incident",
                      "sys_user", "sys_user_group", "sys_user_grmember", "cmn_rota")
    }
    routes["/api/now/on_call_rota/whoisoncall"] = instance
    return ConnectorSample(now=datetime(2026, 3, 10, 15, 0, tzinfo=UTC), window=timedelta(hours=3),
                           transport=recorded(routes))


SAMPLES = {
    "backstage": demo,
    "alertmanager": demo,
    "cdevents": demo,
    "runbooks": demo,
    "ical": demo,
    "escalation": demo,
    "openslo": demo,
    "openmetrics": demo,
    "pagerduty": pagerduty,
    "dynatrace": dynatrace,
    "prometheus": prometheus,
    "alertmanager-api": alertmanager_api,
    "backstage-api": backstage_api,
    "github": github,
    "servicenow": servicenow,
}
