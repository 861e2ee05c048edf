"""Settings of `opscontext serve --transport http`: authentication, Host/Origin allow-lists, limits.

They live under ``[http]`` in the TOML file and ``OPSCONTEXT_HTTP__*`` in the environment. Secrets
(the static token, the introspection client secret) belong in the environment only:
``OPSCONTEXT_HTTP__TOKEN`` and ``OPSCONTEXT_HTTP__OAUTH__CLIENT_SECRET``.
"""

from __future__ import annotations

from typing import Self

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

MIB = 1024 * 1024
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def _https_or_loopback(url: AnyHttpUrl, what: str) -> AnyHttpUrl:
    if url.scheme != "https" and url.host not in LOOPBACK_HOSTS:
        raise ValueError(f"{what} must be an https URL (plain http is accepted on loopback only)")
    return url


class OAuthSettings(BaseModel):
    """OAuth 2.1 resource-server mode: tokens issued by an authorization server, checked by
    RFC 7662 introspection, and bound to this server by their audience."""

    model_config = ConfigDict(extra="forbid")
    issuer_url: AnyHttpUrl = Field(description="The authorization server clients get tokens from (advertised).")
    introspection_endpoint: AnyHttpUrl = Field(description="RFC 7662 token introspection endpoint.")
    resource_url: AnyHttpUrl = Field(
        description="This server's public MCP endpoint, e.g. https://mcp.example.com/mcp: the resource clients "
        "request tokens for, announced in /.well-known/oauth-protected-resource."
    )
    audience: str | None = Field(default=None, description="Required token audience; default: resource_url.")
    required_scopes: list[str] = Field(default_factory=list, description="Scopes every token must carry.")
    client_id: str | None = Field(default=None, description="Client id opscontext introspects with (basic auth).")
    client_secret: SecretStr | None = Field(default=None, description="Its secret (environment only).")
    timeout_seconds: float = Field(default=5, gt=0, le=60, description="Introspection request timeout.")

    @field_validator("issuer_url", "introspection_endpoint", "resource_url")
    @classmethod
    def _secure(cls, url: AnyHttpUrl) -> AnyHttpUrl:
        return _https_or_loopback(url, "this URL")

    @property
    def expected_audience(self) -> str:
        """The audience a token must name to be accepted here."""
        return self.audience or str(self.resource_url)


class HttpSettings(BaseModel):
    """Safety settings of the streamable HTTP transport."""

    model_config = ConfigDict(extra="forbid")
    token: SecretStr | None = Field(
        default=None, description="Static bearer token clients must send (set OPSCONTEXT_HTTP__TOKEN)."
    )
    oauth: OAuthSettings | None = None
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host header values accepted besides the bind address (e.g. mcp.example.com:443; host:* "
        "for any port).",
    )
    allowed_origins: list[str] = Field(
        default_factory=list, description="Origin header values accepted besides the bind address's own."
    )
    max_body_bytes: int = Field(default=MIB, ge=1024, description="Largest request body accepted (413 beyond).")
    rate_limit_per_minute: float = Field(default=300, gt=0, description="Sustained requests per client.")
    rate_limit_burst: int = Field(default=60, ge=1, description="Requests a client may send at once.")

    @field_validator("token")
    @classmethod
    def _long_enough(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value()) < 16:
            raise ValueError("the HTTP token must be at least 16 characters (try: openssl rand -hex 32)")
        return token

    @model_validator(mode="after")
    def _one_mode(self) -> Self:
        if self.token is not None and self.oauth is not None:
            raise ValueError("configure either http.token or http.oauth, not both")
        return self
