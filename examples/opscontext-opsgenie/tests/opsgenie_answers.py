"""Opsgenie's answers for the tests, served by path the way Opsgenie serves them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
from opscontext.testing import recorded

PAYLOADS = Path(__file__).parent / "payloads"
NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # the instant the on-call answers are about
PAYMENTS = "4f0c7b52-2f8e-4d3c-9a61-0d5e9b7c1a01"
CHECKOUT = "7c1e9d84-6a3b-4e25-b0f7-3d8a5c2e9b02"


def opsgenie(seen: list[httpx.Request] | None = None) -> httpx.MockTransport:
    """Opsgenie's schedule list and one Who is On Call answer per enabled schedule."""
    transport = recorded(
        {
            "/v2/schedules": PAYLOADS / "schedules.json",
            f"/v2/schedules/{PAYMENTS}/on-calls": PAYLOADS / "on-calls-payments-primary.json",
            f"/v2/schedules/{CHECKOUT}/on-calls": PAYLOADS / "on-calls-checkout.json",
        }
    )
    if seen is None:
        return transport

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return transport.handle_request(request)

    return httpx.MockTransport(record)
