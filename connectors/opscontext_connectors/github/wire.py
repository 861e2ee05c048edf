"""GitHub REST API v3 objects, only the fields opscontext reads (deployments, releases)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict


def _utc(value: datetime) -> datetime:
    # GitHub sends `...Z`; a server (or proxy) that drops the offset must not make a naive time,
    # which cannot be compared with the window's and failed the whole call.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


Time = Annotated[datetime, AfterValidator(_utc)]


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SimpleUser(Wire):
    login: str


class Deployment(Wire):
    id: int
    sha: str = ""
    ref: str = ""
    task: str = "deploy"
    environment: str = ""
    description: str | None = None
    creator: SimpleUser | None = None
    created_at: Time
    updated_at: Time | None = None
    production_environment: bool | None = None


class DeploymentStatus(Wire):
    # error | failure | inactive | in_progress | queued | pending | success
    state: str
    created_at: Time | None = None
    description: str | None = None
    environment_url: str | None = None
    log_url: str | None = None
    target_url: str | None = None


class Release(Wire):
    id: int
    tag_name: str
    name: str | None = None
    draft: bool = False
    prerelease: bool = False
    created_at: Time
    published_at: Time | None = None
    author: SimpleUser | None = None
    html_url: str | None = None


class RateResource(Wire):
    limit: int
    remaining: int
    reset: int


class RateResources(Wire):
    core: RateResource


class RateLimitOverview(Wire):
    resources: RateResources


def trimmer(model: type[Wire]) -> Callable[[Any], Any]:
    """Keeps only the fields ``model`` reads of a raw item (users: their login), so an answer
    kept for conditional requests costs a few hundred bytes per item, not kilobytes."""
    keep = frozenset(model.model_fields)

    def trim(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        out = {k: v for k, v in item.items() if k in keep}
        for k, v in out.items():
            if isinstance(v, dict) and "login" in v:
                out[k] = {"login": v["login"]}
        return out

    return trim
