"""GitHub as a change source: deployments and releases of repositories mapped to services."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from opscontext.capabilities import ChangeSource
from opscontext.errors import SourceDataError
from opscontext.models import Change, TimeWindow
from opscontext.registry import ConnectorContext
from opscontext_connectors.github import mapping
from opscontext_connectors.github.client import GitHubClient
from opscontext_connectors.github.config import GitHubConfig
from opscontext_connectors.github.wire import Deployment, DeploymentStatus, RateLimitOverview, Release

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


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
        out: list[Change] = []
        budget = [self.cfg.max_status_lookups]  # shared by every repository in this call
        for repo, service in self.cfg.repositories.items():
            if self.cfg.deployments:
                out.extend(await self._deployments(repo, service, window, budget))
            if self.cfg.releases:
                out.extend(await self._releases(repo, service, window))
        return out

    async def _deployments(self, repo: str, service: str, window: TimeWindow, budget: list[int]) -> list[Change]:
        found: list[Deployment] = []
        for env in self.cfg.environments or (None,):
            params: dict[str, Any] = {"per_page": self.cfg.page_size}
            if env is not None:
                params["environment"] = env
            raw = await self.client.pages(f"/repos/{repo}/deployments", params, more=self._newer(window, "created_at"))
            found.extend(self._parse(raw, Deployment, repo))
        out: list[Change] = []
        for dep in found:
            if not window.contains(dep.created_at):
                continue
            status = await self._latest_status(repo, dep.id, budget)
            out.append(
                mapping.deployment(
                    dep,
                    status,
                    repo=repo,
                    service=service,
                    web_root=self.web_root,
                    source=self.name,
                )
            )
        return out

    async def _latest_status(self, repo: str, deployment_id: int, budget: list[int]) -> DeploymentStatus | None:
        # Statuses cost one call per deployment; only those inside the window, within a budget.
        if not self.cfg.deployment_status or budget[0] <= 0:
            return None
        budget[0] -= 1
        raw = await self.client.get_json(f"/repos/{repo}/deployments/{deployment_id}/statuses", {"per_page": 1})
        statuses = self._parse(raw if isinstance(raw, list) else [], DeploymentStatus, repo)
        return statuses[0] if statuses else None  # GitHub lists the newest status first

    async def _releases(self, repo: str, service: str, window: TimeWindow) -> list[Change]:
        raw = await self.client.pages(
            f"/repos/{repo}/releases",
            {"per_page": self.cfg.page_size},
            more=self._newer(window, "created_at", "published_at"),
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
        return out


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
