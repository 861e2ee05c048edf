"""GitHub as a change source: deployments and releases of repositories mapped to services.

One call reads every configured repository, ``max_concurrency`` requests at a time, in two
steps: the deployments (newest first, paging only until they are older than the window) and
releases of each repository; then the latest status of the newest ``max_status_lookups``
deployments inside the window. A repository that cannot be read, or a status that cannot be
looked up (a 404 for a deleted deployment), costs only that item: the answer is reported
degraded, naming it. An exhausted rate limit or rejected token stops further requests; the
repositories not read are named too. Only when no repository could be read does the call fail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from opscontext.capabilities import ChangeSource
from opscontext.errors import SourceDataError, SourceError
from opscontext.items import read_each
from opscontext.models import Change, TimeWindow
from opscontext.problems import invalid
from opscontext.registry import ConnectorContext
from opscontext.wire import report_dropped
from opscontext_connectors.github import mapping
from opscontext_connectors.github.client import GitHubClient
from opscontext_connectors.github.config import GitHubConfig
from opscontext_connectors.github.ratelimit import RateLimitExhausted
from opscontext_connectors.github.wire import Deployment, DeploymentStatus, RateLimitOverview, Release, trimmer

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
TRIM_DEPLOYMENT, TRIM_RELEASE, TRIM_STATUS = trimmer(Deployment), trimmer(Release), trimmer(DeploymentStatus)


@dataclass(frozen=True)
class Deployed:
    """A deployment inside the window, with the repository and service it belongs to."""

    repo: str
    service: str
    deployment: Deployment


@dataclass
class RepoChanges:
    deployments: list[Deployed] = field(default_factory=list)
    releases: list[Change] = field(default_factory=list)


def halts(error: SourceError) -> bool:
    """Errors after which every further request would be refused too."""
    return isinstance(error, RateLimitExhausted) or error.status == 401


class GitHubConnector(ChangeSource):
    """GitHub REST API v3: deployments (with their latest status) and releases of the configured
    repositories, each reported as a change of the service the repository is mapped to."""

    def __init__(self, ctx: ConnectorContext[GitHubConfig]):
        self.name = ctx.name
        self.cfg = ctx.config
        self.web_root = ctx.config.web_root()
        self.client = GitHubClient(ctx.http_client(), self.cfg, instance=ctx.name)

    async def check(self) -> str:
        raw = await self.client.get_json("/rate_limit")
        try:
            core = RateLimitOverview.model_validate(raw).resources.core
        except ValidationError:
            raise SourceDataError("/rate_limit answered in an unknown shape", instance=self.name) from None
        reset = datetime.fromtimestamp(core.reset, UTC).strftime("%H:%M UTC")
        return (
            f"authenticated; {core.remaining}/{core.limit} API calls left until {reset}; "
            f"{len(self.cfg.repositories)} repositories configured"
        )

    async def changes(self, window: TimeWindow) -> list[Change]:
        read = await read_each(
            list(self.cfg.repositories.items()),
            lambda pair: self._repository(pair[0], pair[1], window),
            name=lambda pair: pair[0],
            noun="repositories",
            instance=self.name,
            limit=self.cfg.max_concurrency,
            halts=halts,
        )
        found = [changes for _, changes in read]
        deployed = [d for f in found for d in f.deployments]
        statuses = await self._statuses(deployed)
        out = [
            mapping.deployment(
                d.deployment,
                statuses.get((d.repo, d.deployment.id)),
                repo=d.repo,
                service=d.service,
                web_root=self.web_root,
                source=self.name,
            )
            for d in deployed
        ]
        return out + [c for f in found for c in f.releases]

    async def _repository(self, repo: str, service: str, window: TimeWindow) -> RepoChanges:
        got = RepoChanges()
        if self.cfg.deployments:
            got.deployments = [Deployed(repo, service, d) for d in await self._deployments(repo, window)]
        if self.cfg.releases:
            got.releases = await self._releases(repo, service, window)
        return got

    async def _deployments(self, repo: str, window: TimeWindow) -> list[Deployment]:
        found: list[Deployment] = []
        for env in self.cfg.environments or (None,):
            params: dict[str, Any] = {"per_page": self.cfg.page_size}
            if env is not None:
                params["environment"] = env
            raw = await self.client.pages(
                f"/repos/{repo}/deployments", params, more=self._newer(window, "created_at"), trim=TRIM_DEPLOYMENT
            )
            found.extend(d for d in self._parse(raw, Deployment, repo) if window.contains(d.created_at))
        return found

    async def _statuses(self, deployed: list[Deployed]) -> dict[tuple[str, int], DeploymentStatus]:
        """Latest status of the newest deployments, one call each, within the look-up budget."""
        if not self.cfg.deployment_status or not deployed:
            return {}
        newest = sorted(deployed, key=lambda d: d.deployment.created_at, reverse=True)
        read = await read_each(
            newest[: self.cfg.max_status_lookups],
            self._latest_status,
            name=lambda d: f"{d.repo} deployment {d.deployment.id}",
            noun="deployment statuses",
            instance=self.name,
            limit=self.cfg.max_concurrency,
            halts=halts,
            lost=False,  # the deployment is still reported, only without its state
            partly="deployment statuses not read",
        )
        return {(d.repo, d.deployment.id): status for d, status in read if status is not None}

    async def _latest_status(self, d: Deployed) -> DeploymentStatus | None:
        path = f"/repos/{d.repo}/deployments/{d.deployment.id}/statuses"
        page = await self.client.page(path, {"per_page": 1}, trim=TRIM_STATUS)
        statuses = self._parse(page.body if isinstance(page.body, list) else [], DeploymentStatus, d.repo)
        return statuses[0] if statuses else None  # GitHub lists the newest status first

    async def _releases(self, repo: str, service: str, window: TimeWindow) -> list[Change]:
        raw = await self.client.pages(
            f"/repos/{repo}/releases",
            {"per_page": self.cfg.page_size},
            more=self._newer(window, "created_at", "published_at"),
            trim=TRIM_RELEASE,
        )
        out: list[Change] = []
        for rel in self._parse(raw, Release, repo):
            change = mapping.release(rel, repo=repo, service=service, web_root=self.web_root, source=self.name)
            if not rel.draft and window.contains(change.at):
                out.append(change)
        return out

    def _newer(self, window: TimeWindow, *fields: str) -> Callable[[list[Any]], bool]:
        """Whether paging should go on: lists come newest first, so stop once a page's last
        item is older than the window by every one of ``fields``."""

        def more(page: list[Any]) -> bool:
            last = page[-1] if isinstance(page[-1], dict) else {}
            stamps = [_parse_time(last.get(f)) for f in fields]
            known = [s for s in stamps if s is not None]
            return not known or max(known) >= window.since

        return more

    def _parse(self, raw: list[Any], model: type[M], repo: str) -> list[M]:
        out: list[M] = []
        bad, first = 0, ""
        for item in raw:
            try:
                out.append(model.model_validate(item))
            except ValidationError as exc:
                log.warning(
                    "%s: skipped a %s of %s (%d problems)",
                    self.name,
                    model.__name__,
                    repo,
                    exc.error_count(),
                )
                bad, first = bad + 1, first or invalid(exc)
        report_dropped(model.__name__, bad, first, where=repo)
        return out


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
