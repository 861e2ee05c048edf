"""Base config models every connector's own config model extends.

A connector's config model is the schema of its ``[connectors.<instance>]`` table. Unknown keys
are rejected so a typo fails at start-up naming the instance and the field, instead of silently
doing nothing.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, field_validator


class ConnectorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(description="Connector type, as listed by `opscontext connectors`.")
    enabled: bool = Field(default=True, description="Set false to keep the entry but not use it.")
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=300, description="Per-call budget for this source before it is reported failed."
    )


class FileConnectorConfig(ConnectorConfig):
    path: Path = Field(description="File or directory to read; relative paths are relative to the config file.")
    max_file_mb: float = Field(
        default=50,
        gt=0,
        le=10_000,
        description="Refuse (and report) files larger than this many megabytes; protects memory.",
    )

    @field_validator("path", mode="before")
    @classmethod
    def _not_blank(cls, value: object) -> object:
        # Path("") is ".": a blank path read the whole config folder (ground truth included).
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty: name the file or directory to read (relative to the config file)")
        return value


class HttpConnectorConfig(ConnectorConfig):
    url: HttpUrl = Field(description="Base URL of the API.")
    token: SecretStr | None = Field(default=None, description="API token (never logged).")
    verify_tls: bool = Field(default=True, description="Verify the server's TLS certificate.")
    page_size: int = Field(default=100, ge=1, le=10_000, description="Items per page requested.")
    max_pages: int = Field(default=100, ge=1, le=100_000, description="Stop paging after this many pages.")
    max_retries: int = Field(default=3, ge=0, le=10, description="Retries on 429/5xx/network errors.")
    max_response_bytes: int = Field(
        default=20_000_000, ge=1024, description="Refuse responses larger than this (protects memory)."
    )

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate every request. Override per vendor (Token, Api-Token, ...)."""
        if self.token is None:
            return {}
        return {"Authorization": f"Bearer {self.token.get_secret_value()}"}

    def httpx_auth(self) -> httpx.Auth | None:
        """An httpx auth flow (e.g. basic auth) when headers are not enough."""
        return None
