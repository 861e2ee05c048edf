"""what_changed over four live vendors and a CDEvents file: one deploy seen by all five is one
change listing every source, and a repository GitHub cannot read degrades GitHub, naming it.

The vendors answer through one respx router in their documented shapes (GitHub REST
deployments/releases/statuses, PagerDuty change events, the ServiceNow Table API, Dynatrace
events v2), built from the recorded fixtures and re-timed to one deploy of payment-service
4.2.0 at 13:40 UTC; the demo catalog names the service and its GitHub project slug.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from mcp import Client

from opscontext.server import build_server
from opscontext.settings import load

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
DEPLOYED = datetime(2026, 3, 10, 13, 40, tzinfo=UTC)
GITHUB, PAGERDUTY = "https://api.github.com", "https://api.pagerduty.com"
SERVICENOW, DYNATRACE = "https://acme.service-now.com", "https://abc12345.live.dynatrace.com"


def recorded(vendor: str, name: str) -> Any:
    return json.loads((FIXTURES / "http" / vendor / name).read_text())


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def github(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path.startswith("/repos/larkspur/ghost/"):
        return httpx.Response(404, json={"message": "Not Found"})
    if path.endswith("/deployments"):
        dep = recorded("github", "deployments.page1.json")[0] | {"created_at": iso(DEPLOYED)}
        return httpx.Response(200, json=[dep])
    if path.endswith("/statuses"):
        return httpx.Response(200, json=recorded("github", "deployment-1450003-statuses.json")[:1])
    if path.endswith("/releases"):
        return httpx.Response(200, json=[])
    return httpx.Response(404, json={"message": "Not Found"})


def pagerduty(request: httpx.Request) -> httpx.Response:
    if request.url.path != "/change_events":
        return httpx.Response(404, json={"error": {"message": "Not Found", "code": 2100}})
    event = recorded("pagerduty", "change_events.json")["change_events"][0]
    event = event | {"summary": "Deploy payment-service v4.2.0", "timestamp": iso(DEPLOYED + timedelta(seconds=30))}
    event["services"] = [event["services"][0] | {"summary": "payment-service"}]
    event["custom_details"] = {"version": "v4.2.0", "environment": "production", "author": "ana.mueller"}
    return httpx.Response(200, json={"change_events": [event], "limit": 100, "offset": 0, "more": False})


def servicenow(request: httpx.Request) -> httpx.Response:
    if request.url.path != "/api/now/table/change_request":
        return httpx.Response(404, json={"error": {"message": "Invalid table"}, "status": "failure"})
    record = recorded("servicenow", "change_request.page1.json")["result"][0]
    stamp = (DEPLOYED - timedelta(minutes=4)).strftime("%Y-%m-%d %H:%M:%S")
    record = record | {"work_start": {"value": stamp, "display_value": stamp}}
    record["cmdb_ci"] = {"value": record["cmdb_ci"]["value"], "display_value": "payment-service"}
    return httpx.Response(200, json={"result": [record]})


def dynatrace(request: httpx.Request) -> httpx.Response:
    if request.url.path != "/api/v2/events":
        return httpx.Response(404, json={"error": {"code": 404, "message": "Not found"}})
    event = recorded("dynatrace", "events.json")["events"][0]
    event = event | {"startTime": int((DEPLOYED + timedelta(minutes=1)).timestamp() * 1000)}
    event["entityId"] = event["entityId"] | {"name": "payment-service"}
    event["properties"] = [
        {"key": "dt.event.deployment.version", "value": "4.2.0"},
        {"key": "dt.event.deployment.release_stage", "value": "production"},
    ]
    return httpx.Response(200, json={"totalCount": 1, "pageSize": 100, "nextPageKey": None, "events": [event]})


def cdevent() -> str:
    return json.dumps({
        "context": {"version": "0.4.1", "id": "cd-deploy-1", "source": "https://argocd.larkspur.example",
                    "type": "dev.cdevents.service.deployed.0.2.0", "timestamp": iso(DEPLOYED + timedelta(seconds=8))},
        "subject": {"id": "payment-service", "type": "service", "source": "https://argocd.larkspur.example",
                    "content": {"environment": {"id": "prod-us-east-1"},
                                "artifactId": "pkg:oci/payment-service@4.2.0"}},
    })


def world(tmp: Path) -> Path:
    (tmp / "changes").mkdir()
    (tmp / "changes" / "deploys.jsonl").write_text(cdevent() + "\n")
    toml = f"""
[world]
name = "four-vendors"

[connectors.catalog]
type = "backstage"
path = "{FIXTURES / "demo" / "catalog"}"

[connectors.github]
type = "github"
token = "ghp_test"
repositories = ["larkspur/payment-service", "larkspur/ghost"]
max_retries = 0

[connectors.pagerduty]
type = "pagerduty"
token = "u+test"
max_retries = 0

[connectors.servicenow]
type = "servicenow"
url = "{SERVICENOW}"
token = "oauth-test"
max_retries = 0

[connectors.dynatrace]
type = "dynatrace"
url = "{DYNATRACE}"
token = "dt0c01.TEST"
max_retries = 0

[connectors.cdevents]
type = "cdevents"
path = "changes"

[cache]
backend = "memory"
"""
    (tmp / "opscontext.toml").write_text(toml)
    return tmp / "opscontext.toml"


async def test_one_deploy_from_five_sources_is_one_change_and_a_failed_repository_degrades_github(
    tmp_path: Path,
) -> None:
    router = respx.Router(assert_all_called=False)
    for base, answer in ((GITHUB, github), (PAGERDUTY, pagerduty), (SERVICENOW, servicenow), (DYNATRACE, dynatrace)):
        router.route(url__startswith=base).mock(side_effect=answer)
    server = build_server(load(world(tmp_path)), transport=httpx.MockTransport(router.async_handler), clock=lambda: NOW)
    async with Client(server) as client:
        result = await client.call_tool("what_changed", {"service": "payment-service", "since": "2h"})
    assert not result.is_error, result.content
    data = result.structured_content or {}
    deploys = [c for c in data["changes"] if c["service"] == "payment-service"]
    assert len(deploys) == 1, deploys
    (deploy,) = deploys
    assert (deploy["source"], deploy["version"], deploy["kind"]) == ("github", "v4.2.0", "deployment")
    assert deploy["reported_by"] == ["github", "servicenow", "cdevents", "pagerduty", "dynatrace"]
    assert data["total"] == 1
    assert any("reported by several sources" in n for n in data["notes"])
    changes = {s["source"]: s for s in data["sources"] if s["capability"] == "changes"}
    assert {name: s["state"] for name, s in changes.items()} == {
        "github": "degraded", "pagerduty": "ok", "servicenow": "ok", "dynatrace": "ok", "cdevents": "ok",
    }
    assert changes["github"]["detail"].startswith(
        f"1 of 2 repositories failed: larkspur/ghost: HTTP 404 from {GITHUB}/repos/larkspur/ghost/deployments?"
    )
