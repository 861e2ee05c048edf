"""The `alertmanager-api` connector against recorded Alertmanager API v2 answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from opscontext.errors import SourceAuthError, SourceDataError, SourceUnavailableError
from opscontext.models import AlertState, TimeWindow
from opscontext.problems import take_reported
from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.alertmanager import AlertmanagerApi
from opscontext_connectors.alertmanager.config import AlertmanagerApiConfig

pytestmark = pytest.mark.anyio

URL = "https://alertmanager.example.com"
WINDOW = TimeWindow(
    since=datetime(2025, 3, 14, 9, tzinfo=UTC), until=datetime(2025, 3, 14, 10, tzinfo=UTC)
)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/http/alertmanager"


def payload(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def am_mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=URL, assert_all_called=False) as router:
        yield router


async def connect(**extra: Any) -> AlertmanagerApi:
    raw = {"type": "alertmanager-api", "url": URL, "max_retries": 1, **extra}
    config = AlertmanagerApiConfig.model_validate(raw)
    http = build_http_client(config)
    return AlertmanagerApi(ConnectorContext(name="am", config=config, http=http))


@pytest.fixture
async def am() -> AsyncIterator[AlertmanagerApi]:
    connector = await connect()
    yield connector
    assert connector.ctx.http is not None
    await connector.ctx.http.aclose()


async def test_alerts_ask_for_suppressed_ones_too_and_map_them(
    am: AlertmanagerApi, am_mock: respx.MockRouter
) -> None:
    route = am_mock.get("/api/v2/alerts").respond(json=payload("alerts.json"))
    alerts = {a.alertname: a for a in await am.alerts(WINDOW)}
    params = route.calls.last.request.url.params
    assert (params["active"], params["silenced"], params["inhibited"]) == ("true", "true", "true")
    assert alerts["HighErrorRate"].state is AlertState.ACTIVE
    assert alerts["KubePodCrashLooping"].state is AlertState.SUPPRESSED
    assert alerts["HighErrorRate"].service == "payments-api"
    assert {a.source for a in alerts.values()} == {"am"}


async def test_alerts_outside_the_window_are_left_out(
    am: AlertmanagerApi, am_mock: respx.MockRouter
) -> None:
    am_mock.get("/api/v2/alerts").respond(json=payload("alerts.json"))
    early = TimeWindow(
        since=datetime(2025, 3, 14, 9, 0, tzinfo=UTC),
        until=datetime(2025, 3, 14, 9, 10, tzinfo=UTC),
    )
    assert [a.alertname for a in await am.alerts(early)] == ["PostgresReplicationLag"]


async def test_configured_matchers_are_sent_as_repeated_filter_parameters(
    am_mock: respx.MockRouter,
) -> None:
    route = am_mock.get("/api/v2/alerts").respond(json=[])
    connector = await connect(filter=['env="prod"', "team=~payments|ledger"], receiver="pager.*")
    await connector.alerts(WINDOW)
    params = route.calls.last.request.url.params
    assert params.get_list("filter") == ['env="prod"', "team=~payments|ledger"]
    assert params["receiver"] == "pager.*"


async def test_basic_auth_credentials_are_sent(am_mock: respx.MockRouter) -> None:
    route = am_mock.get("/api/v2/alerts").respond(json=[])
    connector = await connect(username="opscontext", password="s3cret")
    await connector.alerts(WINDOW)
    assert route.calls.last.request.headers["Authorization"] == "Basic b3BzY29udGV4dDpzM2NyZXQ="
    assert "s3cret" not in repr(connector.config)


async def test_bearer_token_is_sent(am_mock: respx.MockRouter) -> None:
    route = am_mock.get("/api/v2/alerts").respond(json=[])
    connector = await connect(token="tok-123")
    await connector.alerts(WINDOW)
    assert route.calls.last.request.headers["Authorization"] == "Bearer tok-123"


def test_token_and_basic_auth_together_are_rejected() -> None:
    with pytest.raises(ValueError, match="either"):
        AlertmanagerApiConfig.model_validate(
            {"type": "alertmanager-api", "url": URL, "token": "t", "username": "u", "password": "p"}
        )


async def test_groups_keep_alertmanagers_grouping(
    am: AlertmanagerApi, am_mock: respx.MockRouter
) -> None:
    am_mock.get("/api/v2/alerts/groups").respond(json=payload("alert_groups.json"))
    groups = await am.groups()
    assert [(g.receiver, [a.alertname for a in g.alerts]) for g in groups] == [
        ("team-payments-pager", ["HighErrorRate"]),
        ("team-ledger", ["KubePodCrashLooping"]),
        ("dba", ["PostgresReplicationLag"]),
    ]
    assert groups[0].labels == {"alertname": "HighErrorRate", "namespace": "payments"}


async def test_check_reports_version_and_cluster(
    am: AlertmanagerApi, am_mock: respx.MockRouter
) -> None:
    am_mock.get("/api/v2/status").respond(json=payload("status.json"))
    assert await am.check() == "Alertmanager 0.27.0; cluster ready, 2 peers"


async def test_check_against_something_else_is_a_data_error(
    am: AlertmanagerApi, am_mock: respx.MockRouter
) -> None:
    am_mock.get("/api/v2/status").respond(json={"status": "success"})
    with pytest.raises(SourceDataError, match="check `url`"):
        await am.check()


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_credentials_are_auth_errors_without_retry(
    am: AlertmanagerApi, am_mock: respx.MockRouter, status: int
) -> None:
    route = am_mock.get("/api/v2/alerts").respond(status)
    with pytest.raises(SourceAuthError, match=str(status)):
        await am.alerts(WINDOW)
    assert route.call_count == 1


async def test_rate_limit_is_retried_after_the_servers_delay(
    am: AlertmanagerApi, am_mock: respx.MockRouter
) -> None:
    route = am_mock.get("/api/v2/alerts")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(200, json=payload("alerts.json")),
    ]
    assert len(await am.alerts(WINDOW)) == 4
    assert route.call_count == 2


async def test_a_failing_server_becomes_unavailable_after_retries(
    am: AlertmanagerApi, am_mock: respx.MockRouter
) -> None:
    route = am_mock.get("/api/v2/alerts").respond(503, headers={"Retry-After": "0"})
    with pytest.raises(SourceUnavailableError, match="503"):
        await am.alerts(WINDOW)
    assert route.call_count == 2  # max_retries=1


async def test_timeouts_become_unavailable(am: AlertmanagerApi, am_mock: respx.MockRouter) -> None:
    am_mock.get("/api/v2/alerts").side_effect = httpx.ReadTimeout("slow")
    with pytest.raises(SourceUnavailableError, match="timed out"):
        await am.alerts(WINDOW)


async def test_malformed_json_is_a_data_error(
    am: AlertmanagerApi, am_mock: respx.MockRouter
) -> None:
    am_mock.get("/api/v2/alerts").respond(200, text="<html>login</html>")
    with pytest.raises(SourceDataError, match="JSON"):
        await am.alerts(WINDOW)


async def test_an_object_instead_of_the_alert_array_is_a_data_error(
    am: AlertmanagerApi, am_mock: respx.MockRouter
) -> None:
    am_mock.get("/api/v2/alerts").respond(json={"status": "success", "data": []})  # API v1 shape
    with pytest.raises(SourceDataError, match="expected an array"):
        await am.alerts(WINDOW)


async def test_an_oversized_answer_is_refused(am_mock: respx.MockRouter) -> None:
    am_mock.get("/api/v2/alerts").respond(json=payload("alerts.json") * 10)
    connector = await connect(max_response_bytes=2048)
    with pytest.raises(SourceDataError, match="max_response_bytes"):
        await connector.alerts(WINDOW)


async def test_malformed_entries_are_skipped(
    am: AlertmanagerApi, am_mock: respx.MockRouter
) -> None:
    am_mock.get("/api/v2/alerts").respond(json=[{"labels": {}}, 17, *payload("alerts.json")[:1]])
    assert [a.alertname for a in await am.alerts(WINDOW)] == ["HighErrorRate"]
    # Left out, and said so: the answer is partial, the source degraded, never "ok".
    (reported,) = take_reported()
    assert "/api/v2/alerts: 2 malformed alert records left out" in reported.summary()
