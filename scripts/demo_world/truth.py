"""Ground truth: what really happened, computed from the same data that produced the files."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from .alerts import Builder, iso
from .incident import CAUSES
from .oncall import on_call_at
from .world import ANCHOR, COMPANY, SERVICES, TEAMS, team

FRONT_ENDS = ("web-storefront", "mobile-bff", "api-gateway")


def _change(events: dict[str, dict[str, Any]], eid: str) -> dict[str, Any]:
    e = events[eid]
    return {"id": eid, "type": e["context"]["type"], "at": e["context"]["timestamp"],
            "subject": e["subject"]["id"], "summary": e["customData"].get("summary")
            or e["customData"].get("title"), "author": e["customData"]["author"]}


def on_call_table() -> dict[str, dict[str, str]]:
    return {t.name: {"primary": on_call_at(t, 1, ANCHOR)[0], "secondary": on_call_at(t, 2, ANCHOR)[0]}
            for t in TEAMS}


def ground_truth(b: Builder, change_lines: list[str], ids: dict[str, str],
                 escalation: dict[str, Any]) -> dict[str, Any]:
    events = {json.loads(line)["context"]["id"]: json.loads(line) for line in change_lines}
    causes = []
    for c in CAUSES:
        mine = sorted((a for a in b.alerts if a.group == c.id), key=lambda a: a.episodes[0][0])
        causes.append({
            "id": c.id, "service": c.service, "title": c.title, "story": c.story,
            "first_alert_at": iso(ANCHOR + timedelta(seconds=c.start)),
            "first_alert_offset_seconds": c.start,
            # orders-db warned about its disk long before the cascade; the cascade is the incident.
            "earliest_alert_at": iso(mine[0].episodes[0][0]),
            "causal_change": _change(events, ids[c.change_role]),
            "impacted_services": sorted({a.service for a in mine}),
            "alert_count": len(mine),
            "alert_fingerprints": [a.fp for a in mine],
            "shared_front_end_alerts": [
                {"service": a.service, "route": a.labels.get("route"), "alertname": a.labels["alertname"],
                 "fingerprint": a.fp} for a in mine if a.service in FRONT_ENDS],
        })
    pay = team("payments")
    primary, start, end = on_call_at(pay, 1, ANCHOR)
    policy = next(p for p in escalation["policies"] if p["team"] == "payments")
    return {
        "world": COMPANY, "anchor": iso(ANCHOR),
        "root_causes": causes,
        "decoy_change": _change(events, ids["decoy"]),
        "noise_fingerprints": sorted(a.fp for a in b.alerts if a.group == "noise"),
        "flapping_fingerprints": sorted(a.fp for a in b.alerts if a.group == "flapping"),
        "who_owns": {"payment-service": {
            "team": "payments", "system": "payments", "chat_channel": "#team-payments",
            "on_call_primary": {"user": primary, "shift_start": start.isoformat(),
                                "shift_end": end.isoformat(),
                                "note": "override: swapped in for yusuf.demir (RECURRENCE-ID)"},
            "on_call_secondary": on_call_at(pay, 2, ANCHOR)[0],
            "escalation_policy": policy["name"], "escalation_steps": policy["steps"]}},
        "on_call_at_anchor": on_call_table(),
        "graph": {"services": len(SERVICES),
                  "deepest_path": ["mobile-app", "mobile-bff", "api-gateway", "checkout-service",
                                   "payment-service", "fraud-service", "risk-scoring-service",
                                   "feature-store-redis"],
                  "cycle": ["promotions-service", "loyalty-service"],
                  "hubs": ["auth-service", "core-postgres", "events-kafka"]},
    }
