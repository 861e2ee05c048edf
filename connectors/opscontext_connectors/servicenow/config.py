"""Configuration of one ServiceNow instance: credentials, service tables and query filters."""

from __future__ import annotations

import httpx
from pydantic import Field, HttpUrl, SecretStr, model_validator

from opscontext.config import HttpConnectorConfig

OWNER_FIELDS = ("support_group", "managed_by_group", "owned_by")


class ServiceNowConfig(HttpConnectorConfig):
    """`token` is an OAuth bearer token; otherwise `username` + `password` use basic auth."""

    url: HttpUrl = Field(description="Instance URL, e.g. https://acme.service-now.com")
    username: str | None = Field(default=None, description="Basic-auth user (with `password`).")
    password: SecretStr | None = Field(
        default=None, description="Basic-auth password (never logged)."
    )
    service_tables: tuple[str, ...] = Field(
        default=("cmdb_ci_service", "cmdb_ci_appl"),
        min_length=1,
        description="CMDB tables whose CIs are reported as services.",
    )
    service_query: str = Field(
        default="operational_status=1",
        description="Encoded query applied to every service table (empty for all CIs).",
    )
    group_query: str = Field(default="active=true", description="Encoded query for sys_user_group.")
    owner_fields: tuple[str, ...] = Field(
        default=OWNER_FIELDS,
        min_length=1,
        description="CI fields tried in order for the owning group (owned_by: the owner's group).",
    )
    dependency_relation_types: tuple[str, ...] = Field(
        default=("Depends on::Used by", "Uses::Used by", "Runs on::Runs", "Hosted on::Hosts"),
        description="cmdb_rel_type display names where the parent CI depends on the child CI.",
    )
    relations_between_services_only: bool = Field(
        default=True,
        description="Keep only relations whose both ends are CIs of `service_tables`.",
    )
    change_query: str = Field(default="", description="Extra encoded query for change_request.")
    incident_query: str = Field(default="", description="Extra encoded query for incident.")
    priority_severity: dict[str, str] = Field(
        default={"1": "critical", "2": "critical", "3": "warning", "4": "info", "5": "info"},
        description="Incident priority value -> alert severity.",
    )
    max_concurrency: int = Field(
        default=4,
        ge=1,
        le=16,
        description="Look-ups by id (members, users, on-call) and service tables read at once.",
    )
    oncall_group_ids: tuple[str, ...] = Field(
        default=(),
        description="sys_user_group sys_ids to ask who is on call for; empty = every group found.",
    )

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> ServiceNowConfig:
        basic = self.username is not None or self.password is not None
        if basic and (self.username is None or self.password is None):
            raise ValueError("set both `username` and `password` for basic auth")
        if basic and self.token is not None:
            raise ValueError("set either `token` (OAuth) or `username`/`password`, not both")
        if not basic and self.token is None:
            raise ValueError("set `token` (OAuth bearer) or `username` and `password`")
        for field in self.owner_fields:
            if field not in OWNER_FIELDS:
                raise ValueError(f"owner_fields: {field!r} is not one of {', '.join(OWNER_FIELDS)}")
        return self

    def httpx_auth(self) -> httpx.Auth | None:
        if self.username is None or self.password is None:
            return None
        return httpx.BasicAuth(self.username, self.password.get_secret_value())
