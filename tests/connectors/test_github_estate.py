"""GitHub at estate size: many repositories read concurrently within a bound, one broken item
costs only that item, rate limits stop the reads early, and unchanged lists cost no quota."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from github_estate import GitHubEstate  # beside this file

import opscontext_connectors.github as github
from opscontext.errors import SourceAuthError, SourceUnavailableError
from opscontext.models import TimeWindow
from opscontext.problems import Partial, attach, take_reported
from opscontext.registry import ConnectorContext, build_http_client

pytestmark = pytest.mark.anyio

API = "https://api.github.com"
WINDOW = TimeWindow(since=datetime(2026, 3, 10, 12, 0, tzinfo=UTC), until=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
REPOS = [f"acme/service-{n:02d}" for n in range(20)]


@pytest.fixture
def make(clients: list[httpx.AsyncClient]) -> Callable[..., Any]:
    def build(repos: list[str] = REPOS, **overrides: Any) -> Any:
        raw = {
            "type": "github",
            "token": "ghp_estate",
            "repositories": {r: r.split("/")[1] for r in repos},
            "max_retries": 0,
            **overrides,
        }
        config = github.GitHubConfig.model_validate(raw)
        http = build_http_client(config)
        clients.append(http)
        return github.GitHubConnector(ConnectorContext(name="gh", config=config, http=http))

    return build


def estate(repos: list[str] = REPOS, api: str = API) -> GitHubEstate:
    fake = GitHubEstate(repos, api=api)
    respx.get(url__startswith=api).mock(side_effect=fake)
    return fake


async def changes(connector: Any) -> tuple[list[Any], str | None]:
    """The changes of one call and the problem detail the hub would report with them."""
    take_reported()
    got = await connector.changes(WINDOW)
    wrapped = attach(connector, got)
    return got, wrapped.detail if isinstance(wrapped, Partial) else None


@respx.mock
@pytest.mark.parametrize("bound", [1, 3, 8])
async def test_requests_in_flight_never_exceed_max_concurrency(make: Callable[..., Any], bound: int) -> None:
    fake = estate()
    got, detail = await changes(make(max_concurrency=bound))
    assert fake.most_in_flight == bound  # concurrent up to the bound, and never beyond it
    assert detail is None
    assert len([c for c in got if c.kind == "deployment"]) == 3 * len(REPOS)
    assert len([c for c in got if c.kind == "release"]) == 2 * len(REPOS)
    # Two lists per repository, plus one status per deployment within the look-up budget.
    assert len(fake.seen) == 2 * len(REPOS) + 30


@respx.mock
async def test_status_lookups_go_to_the_newest_deployments_whatever_order_repositories_answer(
    make: Callable[..., Any],
) -> None:
    estate()
    got, _ = await changes(make(max_status_lookups=20))
    with_status = [c for c in got if c.kind == "deployment" and c.summary.endswith(")")]
    assert len(with_status) == 20
    assert {c.at for c in with_status} == {datetime(2026, 3, 10, 14, 10, tzinfo=UTC)}  # the newest of each repo


@respx.mock
async def test_a_missing_deployment_status_degrades_only_that_deployment(make: Callable[..., Any]) -> None:
    fake = estate()
    gone = fake.deployments("acme/service-03")[0]["id"]
    fake.broken[f"/deployments/{gone}/statuses"] = 404
    got, detail = await changes(make())
    deployed = {c.id: c for c in got if c.kind == "deployment"}
    assert len(deployed) == 3 * len(REPOS)  # the deployment itself is still reported
    assert deployed[f"acme/service-03/deployments/{gone}"].summary == "deployed v4.2.0 to production"
    assert deployed[f"acme/service-04/deployments/{gone + 1000}"].summary.endswith("(success)")
    assert detail == (
        f"deployment statuses not read: acme/service-03 deployment {gone}: HTTP 404 from "
        f"{API}/repos/acme/service-03/deployments/{gone}/statuses?per_page=1: check the configured url and object ids"
    )


@respx.mock
async def test_a_failing_repository_degrades_the_source_naming_it_and_the_rest_is_answered(
    make: Callable[..., Any],
) -> None:
    fake = estate()
    fake.broken["acme/service-07/releases"] = 500
    got, detail = await changes(make())
    assert not any(c.service == "service-07" for c in got)
    assert {c.service for c in got} == {r.split("/")[1] for r in REPOS} - {"service-07"}
    assert detail is not None and detail.startswith("1 of 20 repositories failed: acme/service-07: HTTP 500 from ")


@respx.mock
async def test_when_every_repository_fails_the_source_fails_with_their_error(make: Callable[..., Any]) -> None:
    fake = estate()
    fake.broken["/deployments"] = 401
    with pytest.raises(SourceAuthError, match="20 of 20 repositories failed: acme/service-00: HTTP 401"):
        await make().changes(WINDOW)
    assert len(fake.seen) <= 8  # a rejected token stops the reads: at most one request per slot


@respx.mock
async def test_an_exhausted_rate_limit_stops_the_reads_and_names_what_was_not_read(
    make: Callable[..., Any],
) -> None:
    fake = estate()
    fake.exhaust_after = 10
    fake.reset_at = int(time.time()) + 1800
    got, detail = await changes(make(max_concurrency=2))
    assert len(fake.seen) <= 10 + 2  # what was in flight when the limit answered, no more
    assert got and detail is not None
    assert re.match(r"\d+ of 20 repositories failed: acme/service-\d\d: GitHub rate limit exhausted; it resets", detail)


@respx.mock
async def test_a_secondary_limit_said_only_in_the_message_pauses_instead_of_reading_as_forbidden(
    make: Callable[..., Any],
) -> None:
    route = respx.get(url__startswith=API).respond(
        403,
        json={"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
    )
    with pytest.raises(SourceUnavailableError, match="secondary rate limit") as caught:
        await make(repos=["acme/a", "acme/b", "acme/c"]).changes(WINDOW)
    assert not isinstance(caught.value, SourceAuthError)
    assert route.call_count == 1  # GitHub asks for a minute's pause: nothing else went out


@respx.mock
async def test_a_second_call_over_unchanged_lists_is_answered_by_304s_that_cost_no_quota(
    make: Callable[..., Any],
) -> None:
    fake = estate()
    connector = make()
    first, _ = await changes(connector)
    spent = 5000 - fake.remaining
    fake.seen.clear()
    again, detail = await changes(connector)
    assert sorted(c.id for c in again) == sorted(c.id for c in first) and detail is None
    assert all(r.headers.get("If-None-Match") for r in fake.seen)
    assert 5000 - fake.remaining == spent  # the second call cost no quota at all
    assert connector.client.not_modified == len(fake.seen)


@respx.mock
async def test_github_enterprise_paths_and_errors_keep_the_api_v3_prefix(make: Callable[..., Any]) -> None:
    ghe = "https://ghe.acme.example/api/v3"
    fake = estate(["acme/pay", "acme/ledger"], api=ghe)
    fake.broken["acme/ledger/releases"] = 500
    got, detail = await changes(make(["acme/pay", "acme/ledger"], url=ghe))
    assert {r.url.path.split("/repos/")[0] for r in fake.seen} == {"/api/v3"}
    assert got and detail is not None
    assert f"HTTP 500 from {ghe}/repos/acme/ledger/releases?per_page=100" in detail
