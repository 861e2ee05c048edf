"""The `[connectors.<name>]` table of a PagerDuty instance."""

from __future__ import annotations

from pydantic import AliasChoices, Field, HttpUrl, SecretStr

from opscontext.config import HttpConnectorConfig

# PagerDuty's classic pagination refuses `limit` above 100, and `offset + limit` above 10,000:
# past that position a list cannot be read at all, only narrowed by filters.
MAX_LIMIT = 100
MAX_POSITION = 10_000


class PagerDutyConfig(HttpConnectorConfig):
    """`token`: a REST API key (read-only is enough), sent as ``Token token=...``."""

    url: HttpUrl = Field(
        default=HttpUrl("https://api.pagerduty.com"), description="REST API v2 base URL."
    )
    token: SecretStr = Field(description="REST API key (read-only is enough; never logged).")
    expand_incident_alerts: bool = Field(
        default=False,
        description="Also list the alerts inside each incident (one extra call per incident).",
    )
    incident_lookback_hours: float = Field(
        default=24.0,
        ge=0,
        le=24 * 30,
        description="Also fetch incidents created this long before a window, to catch ones "
        "that started earlier and resolved inside it.",
    )
    max_concurrency: int = Field(
        default=4,
        ge=1,
        le=16,
        # `concurrency` was this field's name before; configurations that use it keep working.
        validation_alias=AliasChoices("max_concurrency", "concurrency"),
        description="Per-service or per-incident calls in flight at once (the REST API allows "
        "960 requests a minute per key).",
    )

    def auth_headers(self) -> dict[str, str]:
        # The Accept header pins API version 2; without it PagerDuty may answer with a default.
        return {
            "Authorization": f"Token token={self.token.get_secret_value()}",
            "Accept": "application/vnd.pagerduty+json;version=2",
        }
