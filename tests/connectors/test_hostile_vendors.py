"""HTTP connectors against a vendor API that misbehaves on purpose: answers that trickle in,
rate limits asking for days, pages that point back at themselves, and credentials echoed back.

Each test holds the call under a generous safety limit (``anyio.fail_after``) so that a
regression fails the test instead of hanging the suite; nothing here measures time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import httpx
import pytest

from opscontext.config import HttpConnectorConfig
from opscontext.errors import SourceDataError, SourceUnavailableError
from opscontext.http import JsonClient
from opscontext.problems import take_reported
from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.alertmanager.api import AlertmanagerApi
from opscontext_connectors.alertmanager.config import AlertmanagerApiConfig
from opscontext_connectors.backstage.connector import BackstageApi, BackstageApiConfig
from opscontext_connectors.dynatrace import DynatraceConfig, DynatraceConnector
from opscontext_connectors.github.client import GitHubClient
from opscontext_connectors.github.config import GitHubConfig
from opscontext_connectors.pagerduty.config import PagerDutyConfig
from opscontext_connectors.pagerduty.connector import PagerDutyConnector
from opscontext_connectors.prometheus.config import PrometheusConfig
from opscontext_connectors.prometheus.connector import Prometheus
from opscontext_connectors.servicenow.config import ServiceNowConfig
from opscontext_connectors.servicenow.connector import ServiceNowConnector
from opscontext_connectors.servicenow.wire import ChangeRecord

pytestmark = pytest.mark.anyio

SECRET = "hostile-test-credential-7f3a9c"
SAFETY = 10  # seconds: only a hang reaches it
Handler = Callable[[httpx.Request], httpx.Response]


def http_for(config: HttpConnectorConfig, handler: Handler, clients: list[httpx.AsyncClient]) -> httpx.AsyncClient:
    http = build_http_client(config, transport=httpx.MockTransport(handler))
    clients.append(http)
    return http


class Trickle(httpx.AsyncByteStream):
    """A body that never ends: one byte, a pause, another byte (a slow-loris server)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"["
        while True:
            await anyio.sleep(0.01)
            yield b" "


def alertmanager(handler: Handler, clients: list[httpx.AsyncClient], **overrides: Any) -> AlertmanagerApi:
    raw = {"type": "alertmanager-api", "url": "https://am.example.com", "max_retries": 2, **overrides}
    config = AlertmanagerApiConfig.model_validate(raw)
    return AlertmanagerApi(ConnectorContext(name="am", config=config, http=http_for(config, handler, clients)))


# -- the shared JsonClient ------------------------------------------------------------------


async def test_an_answer_that_trickles_in_forever_fails_at_the_sources_timeout(
    clients: list[httpx.AsyncClient],
) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, stream=Trickle(), headers={"Content-Type": "application/json"})

    # Was: httpx's timeouts are per read, so a byte now and then kept the request (and the
    # hub's background load behind it) alive forever.
    am = alertmanager(handler, clients, timeout_seconds=0.3)
    with anyio.fail_after(SAFETY), pytest.raises(SourceUnavailableError, match=r"within timeout_seconds=0\.3") as err:
        await am.check()
    assert "trickle" in str(err.value) and "api/v2/status" in str(err.value)
    assert len(calls) >= 1


async def test_a_rate_limit_asking_for_a_day_fails_at_once_instead_of_sleeping(
    clients: list[httpx.AsyncClient],
) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "86400"})

    # Was: the wait was capped at 30 s and slept, past the source's budget, before every retry.
    am = alertmanager(handler, clients, timeout_seconds=5)
    with anyio.fail_after(SAFETY), pytest.raises(SourceUnavailableError, match="try again later") as err:
        await am.check()
    assert len(calls) == 1
    assert "Retry-After: 86400" in str(err.value) and err.value.status == 429


async def test_a_rate_limit_until_a_far_http_date_fails_at_once(clients: list[httpx.AsyncClient]) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})

    am = alertmanager(handler, clients, timeout_seconds=5)
    with anyio.fail_after(SAFETY), pytest.raises(SourceUnavailableError, match="try again later"):
        await am.check()
    assert len(calls) == 1


async def test_a_negative_or_nan_retry_after_is_retried_at_once(clients: list[httpx.AsyncClient]) -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "-5"}),
            httpx.Response(503, headers={"Retry-After": "nan"}),
            httpx.Response(200, json={"cluster": {"status": "ready", "peers": []}, "versionInfo": {"version": "0.27"}}),
        ]
    )
    am = alertmanager(lambda request: next(answers), clients, timeout_seconds=5)
    with anyio.fail_after(SAFETY):
        assert (await am.check()).startswith("Alertmanager 0.27")


async def test_a_redirect_location_never_shows_the_instances_own_credential(clients: list[httpx.AsyncClient]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": f"https://login.example.net/sso/{SECRET}/start"})

    am = alertmanager(handler, clients, password=SECRET, username="opscontext")
    with pytest.raises(SourceDataError, match=r"redirects to https://login\.example\.net/sso/") as err:
        await am.check()
    assert SECRET not in str(err.value)


async def test_a_json_client_scrubs_every_secret_field_of_its_config(clients: list[httpx.AsyncClient]) -> None:
    config = ServiceNowConfig.model_validate(
        {"type": "servicenow", "url": "https://acme.service-now.com", "username": "u", "password": SECRET}
    )
    json = JsonClient.configured(http_for(config, lambda r: httpx.Response(200), clients), config, instance="sn")
    assert json.scrub(f"user u with password {SECRET} refused") == "user u with password [REDACTED] refused"


# -- Prometheus: an error envelope is the vendor's text -----------------------------------


async def test_a_prometheus_error_envelope_echoing_the_token_does_not_leak_it(
    clients: list[httpx.AsyncClient],
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        bare = request.headers["Authorization"].split()[-1]
        return httpx.Response(200, json={"status": "error", "errorType": "bad_data", "error": f"bad param {bare}"})

    config = PrometheusConfig.model_validate({"type": "prometheus", "url": "https://prom.example.com", "token": SECRET})
    prom = Prometheus(ConnectorContext(name="prom", config=config, http=http_for(config, handler, clients)))
    with pytest.raises(SourceDataError, match=r"bad_data: bad param \[REDACTED\]") as err:
        await prom.check()
    assert SECRET not in str(err.value)


# -- pagination that never ends -----------------------------------------------------------


async def test_pagerduty_ignoring_the_offset_is_read_once_and_reported_cut(clients: list[httpx.AsyncClient]) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        policy = {"id": "PEP1", "name": "Payments", "escalation_rules": []}
        return httpx.Response(200, json={"escalation_policies": [policy], "more": True, "offset": 0, "limit": 100})

    config = PagerDutyConfig.model_validate({"type": "pagerduty", "token": SECRET})
    pd = PagerDutyConnector(ConnectorContext(name="pd", config=config, http=http_for(config, handler, clients)))
    take_reported()
    with anyio.fail_after(SAFETY):
        policies = await pd.escalation_policies()
    # Was: 100 pages, and the one policy listed 100 times as if the account had 100.
    assert [p.name for p in policies] == ["Payments"]
    assert len(calls) == 2
    (found,) = take_reported()
    assert "repeated the records of an earlier page" in found.summary()


async def test_dynatrace_cursors_that_cycle_stop_and_say_the_list_is_partial(
    clients: list[httpx.AsyncClient],
) -> None:
    calls: list[httpx.Request] = []
    after = {None: "A", "A": "B", "B": "A"}

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        cursor = request.url.params.get("nextPageKey")
        entity = {"entityId": f"SERVICE-{cursor or 0}", "displayName": f"svc-{cursor or 0}", "type": "SERVICE"}
        return httpx.Response(200, json={"entities": [entity], "nextPageKey": after[cursor], "totalCount": 9})

    config = DynatraceConfig.model_validate(
        {"type": "dynatrace", "url": "https://abc12345.live.dynatrace.com", "token": SECRET}
    )
    dt = DynatraceConnector(ConnectorContext(name="dt", config=config, http=http_for(config, handler, clients)))
    take_reported()
    with anyio.fail_after(SAFETY):
        snapshot = await dt.catalog()
    # Was: 100 pages alternating between A and B, each service counted 50 times.
    assert sorted(s.name for s in snapshot.services) == ["svc-0", "svc-A", "svc-B"]
    assert len(calls) == 3
    (found,) = take_reported()
    assert "repeated an earlier nextPageKey" in found.summary()


async def test_servicenow_ignoring_the_offset_is_read_once_and_reported_cut(clients: list[httpx.AsyncClient]) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        row = {"sys_id": "c1", "number": "CHG0001", "short_description": "deploy", "work_start": "2024-05-09 09:30:00"}
        back = f'<{request.url.copy_with(params={"sysparm_offset": "0"})}>;rel="next"'
        return httpx.Response(200, json={"result": [row]}, headers={"Link": back})

    config = ServiceNowConfig.model_validate(
        {"type": "servicenow", "url": "https://acme.service-now.com", "token": SECRET}
    )
    sn = ServiceNowConnector(ConnectorContext(name="sn", config=config, http=http_for(config, handler, clients)))
    take_reported()
    with anyio.fail_after(SAFETY):
        records = await sn.client.records("change_request", ChangeRecord)
    # Was: the same change read on every one of max_pages pages, listed 100 times.
    assert [r.sys_id.value for r in records] == ["c1"]
    assert len(calls) == 2
    (found,) = take_reported()
    assert "repeated earlier records" in found.summary()


def github(handler: Handler, clients: list[httpx.AsyncClient]) -> GitHubClient:
    config = GitHubConfig.model_validate({"type": "github", "token": SECRET, "repositories": ["acme/pay"]})
    return GitHubClient(http_for(config, handler, clients), config, instance="gh")


async def test_github_next_link_pointing_at_itself_stops_and_says_so(clients: list[httpx.AsyncClient]) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=[{"id": len(calls)}], headers={"Link": f'<{request.url}>; rel="next"'})

    take_reported()
    with anyio.fail_after(SAFETY):
        items = await github(handler, clients).pages("/repos/acme/pay/deployments", {"per_page": 1}, more=bool)
    # Was: the same page read max_pages times.
    assert items == [{"id": 1}] and len(calls) == 1
    (found,) = take_reported()
    assert "points back to a page already read" in found.summary()


async def test_github_next_link_to_another_host_is_not_followed_and_the_list_is_reported_cut(
    clients: list[httpx.AsyncClient],
) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        link = '<https://collector.evil.example/repos/acme/pay/deployments?page=2>; rel="next"'
        return httpx.Response(200, json=[{"id": 1}], headers={"Link": link})

    take_reported()
    items = await github(handler, clients).pages("/repos/acme/pay/deployments", {"per_page": 1}, more=bool)
    assert items == [{"id": 1}]
    assert {r.url.host for r in calls} == {"api.github.com"}  # the token never went to the other host
    # Was: only logged, so an answer missing every later page was reported ok.
    (found,) = take_reported()
    assert "another host" in found.summary() and "collector.evil.example" in found.summary()


async def test_backstage_cursor_that_points_back_is_reported_cut(clients: list[httpx.AsyncClient]) -> None:
    after = {None: "A", "A": "B", "B": "A"}

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        entity = {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": f"svc-{(cursor or '0').lower()}", "namespace": "default"},
            "spec": {"type": "service", "owner": "team-a", "lifecycle": "production"},
        }
        return httpx.Response(200, json={"items": [entity], "pageInfo": {"nextCursor": after[cursor]}})

    config = BackstageApiConfig.model_validate({"type": "backstage-api", "url": "https://bs.example.com"})
    bs = BackstageApi(ConnectorContext(name="bs", config=config, http=http_for(config, handler, clients)))
    take_reported()
    with anyio.fail_after(SAFETY):
        snapshot = await bs.catalog()
    assert sorted(s.name for s in snapshot.services) == ["svc-0", "svc-a", "svc-b"]
    # Was: the loop stopped quietly and the catalog was reported ok although the server said "more".
    assert any("repeated an earlier cursor" in r.summary() for r in take_reported())


async def test_github_times_without_an_offset_are_read_as_utc_not_a_connector_bug(
    clients: list[httpx.AsyncClient],
) -> None:
    from datetime import UTC, datetime

    from opscontext.models import TimeWindow
    from opscontext_connectors.github.connector import GitHubConnector

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/deployments"):
            deployment = {"id": 7, "ref": "main", "environment": "prod", "created_at": "2024-05-09T09:00:00"}
            return httpx.Response(200, json=[deployment])
        if request.url.path.endswith("/releases"):
            return httpx.Response(200, json=[{"id": 8, "tag_name": "v1", "created_at": "2024-05-09 09:10:00"}])
        return httpx.Response(200, json=[])

    config = GitHubConfig.model_validate({"type": "github", "token": SECRET, "repositories": {"acme/pay": "pay"}})
    gh = GitHubConnector(ConnectorContext(name="gh", config=config, http=http_for(config, handler, clients)))
    window = TimeWindow(since=datetime(2024, 5, 9, 8, tzinfo=UTC), until=datetime(2024, 5, 9, 12, tzinfo=UTC))
    # Was: TypeError comparing a naive time with the window: "connector bug" for the whole source.
    changes = await gh.changes(window)
    assert sorted(c.at for c in changes) == [
        datetime(2024, 5, 9, 9, 0, tzinfo=UTC),
        datetime(2024, 5, 9, 9, 10, tzinfo=UTC),
    ]
