"""correlate_alerts leads a group's summary with what users feel when an SLO source exists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client

from opscontext.settings import Settings

pytestmark = pytest.mark.anyio


async def groups(client: Client) -> list[dict[str, Any]]:
    result = await client.call_tool("correlate_alerts", {})
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return list(result.structured_content["groups"])


def by_primary(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {g["primary_contributor"]: g for g in found}


async def test_the_payment_incident_leads_with_the_storefront_slo_it_burns(demo: Client) -> None:
    pay = by_primary(await groups(demo))["payment-service"]
    assert pay["summary"].startswith("Users: web-storefront web-storefront-availability pages (")
    assert "failing" in pay["summary"] and "burning" in pay["summary"]


async def test_without_an_slo_source_the_summaries_are_the_engines(
    demo_settings: Settings, client_for: Callable[[Settings], Client],
) -> None:
    data = demo_settings.model_dump()
    slo_types = ("openslo", "openmetrics")
    data["connectors"] = {k: v for k, v in data["connectors"].items() if v.get("type") not in slo_types}
    async with client_for(Settings.model_validate(data)) as client:
        found = await groups(client)
    assert found and not any(g["summary"].startswith("Users:") for g in found)
    assert by_primary(found)["payment-service"]["summary"].startswith("checkout-service")
