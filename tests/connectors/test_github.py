from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import opscontext_connectors.github as github
from opscontext.capabilities import capabilities_of
from opscontext.models import TimeWindow
from opscontext.registry import ConnectorContext, build_http_client

pytestmark = pytest.mark.anyio

API = "https://api.github.com"
REPO = "acme/payment-service"
REPO_ID = 700123456  # GitHub's next links name the repository by id
PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "github"
WINDOW = TimeWindow(since=datetime(2026, 3, 10, 12, 0, tzinfo=UTC), until=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
PAGED = {"deployments": 3, "releases": 2}


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def github_api(seen: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    """Answers like api.github.com: recorded pages, Link headers by repository id."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path.endswith("/statuses"):
            return httpx.Response(200, json=payload(f"deployment-{path.split('/')[-2]}-statuses"))
        kind = path.rsplit("/", 1)[-1]
        page = int(request.url.params.get("page", "1"))
        headers = {"X-RateLimit-Remaining": "4990", "X-RateLimit-Reset": "1773151200"}
        if page < PAGED[kind]:
            query = httpx.QueryParams(request.url.params).set("page", str(page + 1))
            headers["Link"] = f'<{API}/repositories/{REPO_ID}/{kind}?{query}>; rel="next"'
        return httpx.Response(200, json=payload(f"{kind}.page{page}"), headers=headers)

    return answer


@pytest.fixture
def make(clients: list[httpx.AsyncClient]) -> Callable[..., Any]:
    def build(**overrides: Any) -> Any:
        raw = {**github.spec.example, "environments": [], "page_size": 3, **overrides}
        config = github.GitHubConfig.model_validate(raw)
        http = build_http_client(config)
        clients.append(http)
        return github.GitHubConnector(ConnectorContext(name="gh", config=config, http=http))

    return build


def listed(seen: list[httpx.Request], kind: str) -> list[httpx.Request]:
    return [r for r in seen if r.url.path.endswith(f"/{kind}")]


def test_github_is_a_change_source_only() -> None:
    assert capabilities_of(github.spec.factory) == ["changes"]


def test_repositories_must_be_owner_slash_name() -> None:
    with pytest.raises(ValueError, match="owner/name"):
        github.GitHubConfig.model_validate(
            {"type": "github", "token": "t", "repositories": {"payment-service": "payments"}}
        )


@respx.mock
async def test_requests_carry_the_documented_github_headers(make: Callable[..., Any]) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=API).mock(side_effect=github_api(seen))
    await make(token="ghp_abc").changes(WINDOW)
    headers = seen[0].headers
    assert headers["Authorization"] == "Bearer ghp_abc"
    assert headers["Accept"] == "application/vnd.github+json"
    assert headers["X-GitHub-Api-Version"] == "2022-11-28"


@respx.mock
async def test_deployment_paging_follows_next_links_and_stops_once_older_than_the_window(
    make: Callable[..., Any],
) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=API).mock(side_effect=github_api(seen))
    changes = await make().changes(WINDOW)
    pages = listed(seen, "deployments")
    assert [r.url.path for r in pages] == [
        f"/repos/{REPO}/deployments",
        f"/repositories/{REPO_ID}/deployments",
    ]  # page 3 (all older) is never fetched
    assert pages[0].url.params["per_page"] == "3"
    deployed = sorted(c.id for c in changes if c.kind == "deployment")
    assert deployed == [f"{REPO}/deployments/{n}" for n in (1450001, 1450002, 1450003)]


@respx.mock
async def test_deployments_map_ref_environment_author_status_and_link(make: Callable[..., Any]) -> None:
    respx.get(url__startswith=API).mock(side_effect=github_api([]))
    changes = {c.id: c for c in await make().changes(WINDOW)}
    latest = changes[f"{REPO}/deployments/1450003"]
    assert latest.summary == "deployed v4.2.0 to production (success)"
    assert (latest.service, latest.environment, latest.version) == ("payment-service", "production", "v4.2.0")
    assert latest.author == "octo-deployer"
    assert latest.at == datetime(2026, 3, 10, 14, 10, tzinfo=UTC)
    assert latest.link == f"https://github.com/{REPO}/actions/runs/8123456789/job/22334455"
    assert changes[f"{REPO}/deployments/1450001"].summary.endswith("(failure)")
    assert all(c.source == "gh" for c in changes.values())


@respx.mock
async def test_statuses_are_fetched_only_for_deployments_inside_the_window(
    make: Callable[..., Any],
) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=API).mock(side_effect=github_api(seen))
    await make().changes(WINDOW)
    asked = sorted(r.url.path.split("/")[-2] for r in seen if r.url.path.endswith("/statuses"))
    assert asked == ["1450001", "1450002", "1450003"]
    assert all(r.url.params["per_page"] == "1" for r in seen if r.url.path.endswith("/statuses"))


@respx.mock
async def test_status_lookups_can_be_capped_or_switched_off(make: Callable[..., Any]) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=API).mock(side_effect=github_api(seen))
    capped = await make(max_status_lookups=1).changes(WINDOW)
    assert sum(r.url.path.endswith("/statuses") for r in seen) == 1
    seen.clear()
    plain = {c.id: c for c in await make(deployment_status=False).changes(WINDOW)}
    assert not any(r.url.path.endswith("/statuses") for r in seen)
    bare = plain[f"{REPO}/deployments/1450002"]
    assert bare.summary == "deployed main to staging"
    assert bare.link == f"https://github.com/{REPO}/deployments"
    assert len(capped) == len(plain)


@respx.mock
async def test_each_configured_environment_is_listed_with_its_filter(make: Callable[..., Any]) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=API).mock(side_effect=github_api(seen))
    await make(environments=["production", "staging"], releases=False).changes(WINDOW)
    firsts = [r for r in listed(seen, "deployments") if "page" not in r.url.params]
    assert [r.url.params["environment"] for r in firsts] == ["production", "staging"]


@respx.mock
async def test_releases_skip_drafts_use_publish_time_and_flag_prereleases(
    make: Callable[..., Any],
) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=API).mock(side_effect=github_api(seen))
    releases = {c.version: c for c in await make(deployments=False).changes(WINDOW)}
    assert set(releases) == {"v4.2.0", "v4.2.0-rc.1"}  # the v4.3.0 draft is not a change
    spring = releases["v4.2.0"]
    assert spring.summary == "released v4.2.0 (Spring payments)"
    assert spring.at == datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    assert spring.link == f"https://github.com/{REPO}/releases/tag/v4.2.0"
    assert releases["v4.2.0-rc.1"].summary.endswith("[pre-release]")
    # The rc was created before the window but published inside it, so page 2 was read.
    assert len(listed(seen, "releases")) == 2


@respx.mock
async def test_a_next_link_to_another_host_is_not_followed(make: Callable[..., Any]) -> None:
    elsewhere = '<https://evil.example.com/repos/acme/payment-service/releases?page=2>; rel="next"'
    route = respx.get(f"{API}/repos/{REPO}/releases").respond(
        200, json=payload("releases.page1"), headers={"Link": elsewhere}
    )
    other = respx.get(url__startswith="https://evil.example.com").respond(200, json=[])
    await make(deployments=False).changes(WINDOW)
    assert route.call_count == 1 and other.call_count == 0


@respx.mock
async def test_check_reports_the_remaining_core_rate_limit(make: Callable[..., Any]) -> None:
    respx.get(f"{API}/rate_limit").respond(200, json=payload("rate_limit"))
    answer = await make().check()
    assert "4990/5000" in answer and "14:00 UTC" in answer


def test_a_plain_list_of_repositories_reports_changes_under_the_slug_the_catalog_annotates() -> None:
    from opscontext.engine.identity import ServiceResolver
    from opscontext.models import Service
    from opscontext_connectors.github.config import GitHubConfig

    cfg = GitHubConfig.model_validate(
        {"type": "github", "url": "https://api.github.com", "token": "t", "repositories": ["acme/payments-api"]}
    )
    assert cfg.repositories == {"acme/payments-api": "acme/payments-api"}
    catalog = [Service(name="payment-service", annotations={"github.com/project-slug": "acme/payments-api"})]
    assert ServiceResolver(catalog).match(cfg.repositories["acme/payments-api"]) == "payment-service"
