"""incident_context through a real MCP client on the demo world, checked against its ground truth.

The server's clock is the demo's anchor, so the recording is not shifted and every time in the
answer can be compared with ground_truth.json as written.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from evalkit.tokens import count_json
from opscontext.budget import estimate
from opscontext.cache import MemoryCache
from opscontext.server import build_server
from opscontext.settings import load

pytestmark = pytest.mark.anyio
DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
TRUTH = json.loads((DEMO / "ground_truth.json").read_text())
ANCHOR = datetime.fromisoformat(TRUTH["anchor"].replace("Z", "+00:00"))
PAYMENTS = next(c for c in TRUTH["root_causes"] if c["service"] == "payment-service")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
async def at_anchor() -> AsyncIterator[Client]:
    server = build_server(load(DEMO / "opscontext.toml"), cache=MemoryCache(), clock=lambda: ANCHOR)
    async with Client(server) as client:
        yield client


async def brief(client: Client, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool("incident_context", args)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def test_one_call_answers_what_who_since_when_why_and_what_next(at_anchor: Client) -> None:
    a = await brief(at_anchor, {"subject": "payment-service"})
    # What: the incident and its primary contributor, with evidence.
    group = a["group"]
    assert group["primary_contributor"] == PAYMENTS["service"]
    assert set(group["services"]) <= set(PAYMENTS["impacted_services"])
    assert group["evidence"] and "deployed 2.14.0" in group["evidence"][0]
    # Since when: the first alert of the bad deploy, twelve minutes before "now".
    assert _at(group["started_at"]) == _at(PAYMENTS["first_alert_at"])
    assert group["minutes_since_start"] == 12
    # Why: the causal deploy is the most suspect change, six minutes before the first alert.
    top = a["suspects"]["changes"][0]
    assert top["id"] == PAYMENTS["causal_change"]["id"]
    assert top["minutes_before_start"] == 6 and top["relation"] == "primary contributor"
    assert TRUTH["decoy_change"]["subject"] not in {c["service"] for c in a["suspects"]["changes"]}
    # Who: the owning team, the swapped-in primary, and who is next 12 minutes in.
    owner = a["owners"][0]
    assert owner["team"] == TRUTH["who_owns"]["payment-service"]["team"]
    assert owner["on_call"][0]["person"] == "Dana Reyes" and owner["on_call"][0]["level"] == 1
    assert owner["engaged"]["target"] == "payments-secondary"
    assert owner["next"]["target"] == "Payments lead (Marcus Webb)" and owner["next_in_minutes"] == 3
    # What next: the rollback section of the payment-service runbook, and a rollback step.
    assert a["runbook"]["location"].startswith("payment-service.md#3-bad-deploy")
    assert a["runbook"]["resource"] == "opscontext://runbook/payment-service"
    assert any("roll it back" in step for step in a["next_steps"])
    assert "Dana Reyes" in a["next_steps"][0]
    # What users feel: the storefront's availability SLO pages (the demo's SLOs show the incident).
    assert a["impact"]["basis"] == "slo"
    storefront = next(s for s in a["impact"]["slo"] if s["service"] == "web-storefront")
    assert storefront["alert"] == "page" and storefront["user_facing"] and storefront["failing_now"] > 0.05
    assert "Users: web-storefront (pages)" in a["headline"]
    for words in ("payment-service", "66 alerts", "13:48Z", "deployment", "Dana Reyes"):
        assert words in a["headline"]


async def test_the_answer_stays_within_its_budget_and_says_what_it_cut(at_anchor: Client) -> None:
    a = await brief(at_anchor, {"subject": "checkout-service"})
    compact = json.dumps(a, separators=(",", ":"), ensure_ascii=False)
    assert a["max_tokens"] == 2000
    # Sized by the estimate every tool uses, which errs high: within budget for o200k too.
    assert count_json(a) <= estimate(compact) <= a["tokens"] <= 2000
    roomy = await brief(at_anchor, {"subject": "checkout-service", "max_tokens": 4000})
    small = await brief(at_anchor, {"subject": "checkout-service", "max_tokens": 1500})
    assert small["tokens"] <= 1500 < roomy["tokens"] <= 4000
    for cut in (small, a):
        for part, field in (("suspects", "changes"), ("blast", "nearest"), ("impact", "slo")):
            listed = len(cut[part][field]) + cut[part][f"{field}_omitted"]
            assert listed == len(roomy[part][field]) + roomy[part][f"{field}_omitted"], (part, field)
    assert len(small["suspects"]["changes"]) < len(roomy["suspects"]["changes"])
    assert len(small["impact"]["slo"]) < len(roomy["impact"]["slo"])


async def test_a_service_the_incident_reaches_is_briefed_on_its_primary_contributor(at_anchor: Client) -> None:
    a = await brief(at_anchor, {"subject": "Checkout Service"})
    assert a["subject_kind"] == "service"
    assert a["group"]["primary_contributor"] == "payment-service"
    assert [o["service"] for o in a["owners"]] == ["payment-service", "checkout-service"]
    assert a["owners"][1]["team"] == "checkout"


async def test_a_group_id_and_an_alert_fingerprint_name_the_same_incident(at_anchor: Client) -> None:
    groups = (await at_anchor.call_tool("correlate_alerts", {})).structured_content or {}
    pay = next(g for g in groups["groups"] if g["primary_contributor"] == "payment-service")
    by_group = await brief(at_anchor, {"subject": pay["id"]})
    fingerprint = next(fp for fp in pay["fingerprints"] if fp in PAYMENTS["alert_fingerprints"])
    by_alert = await brief(at_anchor, {"subject": fingerprint})
    assert by_group["subject_kind"] == "group" and by_alert["subject_kind"] == "alert"
    assert by_group["group"]["id"] == by_alert["group"]["id"] == pay["id"]


@pytest.mark.parametrize("cause", [c for c in TRUTH["root_causes"] if c["service"] != "payment-service"],
                         ids=lambda c: c["id"])
async def test_every_root_cause_is_briefed_with_its_owner_on_call(at_anchor: Client, cause: dict[str, Any]) -> None:
    a = await brief(at_anchor, {"subject": cause["service"]})
    assert a["group"]["primary_contributor"] == cause["service"]
    # Correlation may pull a neighbour's earlier alert into these groups (both run next to the
    # payments incident); the start it reports stays within two minutes of the truth.
    assert abs((_at(a["group"]["started_at"]) - _at(cause["first_alert_at"])).total_seconds()) <= 120
    team = a["owners"][0]["team"]
    primary = TRUTH["on_call_at_anchor"][team]["primary"]
    assert a["owners"][0]["on_call"][0]["person"].lower().replace(" ", ".") == primary
    assert cause["causal_change"]["id"] in {c["id"] for c in a["suspects"]["changes"]}


async def test_every_part_names_a_call_that_returns_it_in_full(at_anchor: Client) -> None:
    a = await brief(at_anchor, {"subject": "payment-service"})
    parts = [a["group"], a["impact"], a["suspects"], a["blast"], a["runbook"], *a["owners"]]
    for part in parts:
        more = part["more"]
        result = await at_anchor.call_tool(more["tool"], more["arguments"])
        assert not result.is_error, (more, result.content)


async def test_sources_are_listed_once_each_with_their_state(at_anchor: Client) -> None:
    a = await brief(at_anchor, {"subject": "orders-db"})
    keys = [(s["source"], s["capability"]) for s in a["sources"]]
    assert len(keys) == len(set(keys))
    assert {"alerts", "changes", "oncall", "escalation", "runbooks"} <= {s["capability"] for s in a["sources"]}
    assert all(s["state"] == "ok" for s in a["sources"])
    # The demo's SLOs: the orders incident pages on the storefront's availability SLO.
    assert a["impact"]["basis"] == "slo" and "web-storefront (pages)" in a["impact"]["summary"]


async def test_a_quiet_service_gets_owner_and_changes_without_an_incident(at_anchor: Client) -> None:
    a = await brief(at_anchor, {"subject": "wishlist-service"})
    assert a["group"] is None
    assert a["owners"][0]["service"] == "wishlist-service" and a["owners"][0].get("next_in_minutes") is None
    # Its one alert is a lone warning, no incident: said so, never "nothing alerts".
    assert a["headline"].startswith("2 alerts on wishlist-service (CertificateExpiringSoon, HighRequestLatency) but in "
                                    "no incident group")
    assert "no SLO or health data covers these services" in a["impact"]["summary"]
    quiet = await brief(at_anchor, {"subject": "loyalty-service", "since": "2026-03-09T10:00:00Z",
                                    "until": "2026-03-09T11:00:00Z"})
    assert quiet["group"] is None and quiet["headline"].startswith("No alert fires on loyalty-service")


async def test_progress_is_reported_while_the_parts_answer(at_anchor: Client) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    args = {"subject": "payment-service"}
    result = await at_anchor.call_tool("incident_context", args, progress_callback=on_progress)
    assert not result.is_error
    steps = [p for p, _, _ in seen]
    assert steps == sorted(set(steps)) and len(steps) >= 5, "progress rises with every notification"
    own = [m for _, _, m in seen if m and "background load" not in m]  # the server may still be loading
    assert own[-1] == "assembling the briefing"
    assert any(m and "who_owns" in m for _, _, m in seen)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"subject": "paymnt-servce"}, "Did you mean: payment-service"),
        ({"subject": "grp-000000000000"}, "Groups now: grp-"),
        ({"subject": "  "}, "a service name, an alert fingerprint, or a group id"),
        ({"subject": "payment-service", "max_tokens": 100}, "max_tokens"),
        ({"subject": "payment-service", "since": "1h", "until": "2h"}, "swap"),
    ],
)
async def test_bad_subjects_get_an_actionable_error(at_anchor: Client, args: dict[str, Any], needle: str) -> None:
    result = await at_anchor.call_tool("incident_context", args)
    assert result.is_error
    text = " ".join(getattr(c, "text", "") for c in result.content)
    assert needle in text and "Traceback" not in text
