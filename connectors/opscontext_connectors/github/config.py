"""Configuration of one GitHub (or GitHub Enterprise Server) API: token, repositories, limits."""

from __future__ import annotations

import re

from pydantic import Field, HttpUrl, SecretStr, field_validator

from opscontext.config import HttpConnectorConfig

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
API_VERSION = "2022-11-28"


class GitHubConfig(HttpConnectorConfig):
    """Which repositories to read, mapped to services, and which deployment environments count."""

    url: HttpUrl = Field(
        default=HttpUrl("https://api.github.com"),
        description="API root: https://api.github.com, or https://<host>/api/v3 for GHES.",
    )
    token: SecretStr = Field(description="Token with read access to the repositories.")
    page_size: int = Field(default=100, ge=1, le=100, description="Items per page (max 100).")
    repositories: dict[str, str] = Field(
        default_factory=dict,
        description='Repository -> service, e.g. {"acme/payment-service" = "payment-service"}; or a plain '
        'list of repositories, reported under their owner/name, which the catalog\'s '
        "`github.com/project-slug` annotation resolves to the service.",
    )
    environments: tuple[str, ...] = Field(
        default=(), description="Deployment environments to report; empty = every environment."
    )
    deployments: bool = Field(default=True, description="Report deployments.")
    releases: bool = Field(default=True, description="Report published releases.")
    deployment_status: bool = Field(
        default=True,
        description="Look up the latest status of deployments inside the window (one call each).",
    )
    max_status_lookups: int = Field(
        default=30, ge=0, le=1000, description="Status look-ups per call, for the newest deployments in the window."
    )
    max_concurrency: int = Field(
        default=8,
        ge=1,
        le=32,
        description="Requests in flight at once (GitHub allows 100 per user and advises few); 1 reads serially.",
    )
    rate_limit_wait_seconds: float = Field(
        default=10.0,
        ge=0,
        le=300,
        description="Wait for a rate-limit reset only if it comes this soon; otherwise fail fast.",
    )
    web_url: HttpUrl | None = Field(default=None, description="Web UI root for links; derived from `url` when unset.")

    @field_validator("repositories", mode="before")
    @classmethod
    def _list_means_catalog_mapping(cls, value: object) -> object:
        # A list names repositories only; the service is found through the catalog annotation.
        if isinstance(value, list | tuple):
            return {str(repo): str(repo) for repo in value}
        return value

    @field_validator("repositories")
    @classmethod
    def _owner_slash_name(cls, value: dict[str, str]) -> dict[str, str]:
        for repo, service in value.items():
            if not _REPO.match(repo):
                raise ValueError(f"{repo!r} is not an owner/name repository")
            if not service.strip():
                raise ValueError(f"{repo!r} maps to an empty service name")
        return value

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token.get_secret_value()}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        }

    def web_root(self) -> str:
        if self.web_url is not None:
            return str(self.web_url).rstrip("/")
        api = str(self.url).rstrip("/")
        if api == "https://api.github.com":
            return "https://github.com"
        return api.removesuffix("/api/v3")
