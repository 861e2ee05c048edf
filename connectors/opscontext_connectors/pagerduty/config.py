"""The `[connectors.<name>]` table of a PagerDuty instance."""

from __future__ import annotations

from pydantic import Field, HttpUrl, SecretStr

from opscontext.config import HttpConnectorConfig

# PagerDuty's classic pagination refuses `limit` above 100.
MAX_LIMIT = 100


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
    concurrency: int = Field(
        default=4, ge=1, le=16, description="Parallel per-service or per-incident calls."
    )

    def auth_headers(self) -> dict[str, str]:
        # The Accept header pins API version 2; without it PagerDuty may answer with a default.
        return {
            "Authorization": f"Token token={self.token.get_secret_value()}",
            "Accept": "application/vnd.pagerduty+json;version=2",
        }
