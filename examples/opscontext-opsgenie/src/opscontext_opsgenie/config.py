"""The ``[connectors.<name>]`` table of an Opsgenie instance."""

from __future__ import annotations

from opscontext.config import HttpConnectorConfig
from pydantic import Field, HttpUrl


class OpsgenieConfig(HttpConnectorConfig):
    """`url`: Opsgenie's API (the EU instance is https://api.eu.opsgenie.com). `token`: an API
    integration key; Opsgenie expects it as ``Authorization: GenieKey <key>``."""

    url: HttpUrl = Field(default=HttpUrl("https://api.opsgenie.com"), description="Opsgenie API base URL.")
    schedules: list[str] = Field(
        default_factory=list,
        description="Schedule names to ask (case-insensitive); empty: every enabled schedule the key can see.",
    )
    concurrency: int = Field(default=4, ge=1, le=32, description="Schedules asked at once.")

    def auth_headers(self) -> dict[str, str]:
        """Opsgenie's own scheme, not Bearer."""
        if self.token is None:
            return {}
        return {"Authorization": f"GenieKey {self.token.get_secret_value()}"}
