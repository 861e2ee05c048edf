"""The `[connectors.<name>]` table of a Dynatrace environment."""

from __future__ import annotations

from pydantic import Field, SecretStr

from opscontext.config import HttpConnectorConfig

# Dynatrace caps pageSize at 500 for problems (entities and events accept at least that).
MAX_PAGE_SIZE = 500


class DynatraceConfig(HttpConnectorConfig):
    """`url`: the environment (https://<id>.live.dynatrace.com or a Managed URL); `token`: Api-Token."""

    token: SecretStr = Field(
        description="API token with entities.read, problems.read and events.read (never logged)."
    )
    owner_tag: str = Field(
        default="owner", description="Tag key whose value names a service's owning team."
    )
    entities_from: str = Field(
        default="now-72h",
        description="Timeframe start for services and their call relationships (Dynatrace syntax).",
    )
    problem_selector: str | None = Field(
        default=None, description='Optional problemSelector, e.g. managementZones("prod").'
    )
    problem_lookback_hours: float = Field(
        default=24.0,
        ge=0,
        le=24 * 30,
        description="Also read problems that started this long before a window and may still "
        "be open (Dynatrace lists a problem when its start or end falls in the timeframe).",
    )
    deployment_event_type: str = Field(
        default="CUSTOM_DEPLOYMENT", description="Event type read as deployments."
    )

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Api-Token {self.token.get_secret_value()}"}
