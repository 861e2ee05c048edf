"""A recorded run asked about later: the file's alerts keep their own times, so the default
window ("the last two hours") holds none of them. The answer must say where they are and which
window shows them, not just "0 alerts"."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.queries.correlate import correlate_alerts
from opscontext.queries.incident_context import incident_context
from opscontext.queries.what_changed import what_changed
from opscontext.settings import Settings
from opscontext.snapshots import Prepared, _alert_span

pytestmark = pytest.mark.anyio
Factory = Callable[[list[dict[str, object]]], Settings]  # the checkout_payment fixture (conftest)
RECORDED = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)


def stamp(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def alert(service: str, minute: int, ends: int | None = 30) -> dict[str, object]:
    return {"labels": {"alertname": "HighErrorRate", "service": service, "severity": "critical"},
            "annotations": {}, "startsAt": stamp(RECORDED + timedelta(minutes=minute)),
            "endsAt": stamp(RECORDED + timedelta(minutes=ends)) if ends is not None else None,
            "updatedAt": stamp(RECORDED + timedelta(minutes=minute)),
            "fingerprint": f"fp-{service}", "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
            "receivers": [{"name": "default"}]}




async def test_an_empty_window_names_where_the_recording_is_and_the_window_that_shows_it(
    checkout_payment: Factory,
) -> None:
    settings = checkout_payment([alert("payment", -1), alert("checkout", 0)])
    async with open_app(settings, cache=MemoryCache(), clock=lambda: NOW) as app:
        empty = await correlate_alerts(app)
        assert empty.alerts_in == 0 and not empty.groups
        (note,) = [n for n in empty.notes if "holds 2 alerts" in n]
        assert ("start before it, between 2025-03-01T09:59:00Z and 2025-03-01T10:00:00Z, "
                "the last ending 2025-03-01T10:30:00Z") in note
        assert "since='2025-03-01T09:59:00Z' and until='2025-03-01T10:31:00Z'" in note
        # the window the note names holds the run
        shown = await correlate_alerts(app, "2025-03-01T09:59:00Z", "2025-03-01T10:31:00Z")
        assert shown.alerts_in == 2
        assert [g.primary_contributor for g in shown.groups] == ["payment"]
        assert not [n for n in shown.notes if "holds" in n]
        briefing = await incident_context(app, "checkout")
        assert any("since='2025-03-01T09:59:00Z'" in n for n in briefing.notes)


async def test_a_recording_longer_than_the_longest_window_gets_its_latest_part(checkout_payment: Factory) -> None:
    settings = checkout_payment([alert("payment", 0, ends=5), alert("checkout", 20 * 24 * 60, ends=20 * 24 * 60 + 9)])
    async with open_app(settings, cache=MemoryCache(), clock=lambda: NOW) as app:
        (note,) = [n for n in (await correlate_alerts(app)).notes if "holds 2 alerts" in n]
    # the last alert ends 2025-03-21T10:09Z; a window is at most 7 days
    assert "since='2025-03-14T10:10:00Z' and until='2025-03-21T10:10:00Z'" in note


async def test_no_note_when_the_window_has_alerts_or_the_file_is_empty(checkout_payment: Factory) -> None:
    settings = checkout_payment([])
    async with open_app(settings, cache=MemoryCache(), clock=lambda: NOW) as app:
        assert not [n for n in (await correlate_alerts(app)).notes if "holds" in n]
    live = checkout_payment([alert("payment", 0, ends=None)])  # still firing: in every later window
    async with open_app(live, cache=MemoryCache(), clock=lambda: NOW) as app:
        answer = await correlate_alerts(app)
    assert answer.alerts_in == 1 and not [n for n in answer.notes if "holds" in n]


async def test_what_changed_points_at_a_recorded_change_file_too(checkout_payment: Factory, tmp_path: Path) -> None:
    settings = checkout_payment([])
    (tmp_path / "changes.jsonl").write_text(json.dumps({
        "context": {"version": "0.4.1", "id": "cd-1", "source": "https://argocd.example",
                    "type": "dev.cdevents.service.deployed.0.2.0", "timestamp": "2025-03-01T09:50:30Z"},
        "subject": {"id": "payment", "type": "service", "source": "https://argocd.example",
                    "content": {"environment": {"id": "prod"}, "artifactId": "pkg:oci/payment@2.0.0"}},
    }) + "\n")
    settings.connectors["changes"] = {"type": "cdevents", "path": "changes.jsonl"}
    async with open_app(settings, cache=MemoryCache(), clock=lambda: NOW) as app:
        empty = await what_changed(app)
        (note,) = [n for n in empty.notes if "holds 1 change," in n]
        assert "between 2025-03-01T09:50:30Z and 2025-03-01T09:50:30Z." in note  # no "ending" for a point in time
        assert "since='2025-03-01T09:50:00Z' and until='2025-03-01T09:51:00Z'" in note
        shown = await what_changed(app, since="2025-03-01T09:50:00Z", until="2025-03-01T09:51:00Z")
        assert [c.service for c in shown.changes] == ["payment"]


def test_extent_reads_an_open_end_as_none() -> None:
    from opscontext.models import Alert

    a = Alert(fingerprint="a", alertname="x", service="s", starts_at=RECORDED, labels={})
    b = Alert(fingerprint="b", alertname="x", service="s", starts_at=RECORDED + timedelta(minutes=3),
              ends_at=RECORDED + timedelta(minutes=9), labels={})
    assert Prepared([b, a], [b, a], _alert_span).extent() == (2, RECORDED, RECORDED + timedelta(minutes=3), None)
    assert Prepared([b], [b], _alert_span).extent() == (1, b.starts_at, b.starts_at, b.ends_at)
    assert Prepared([], [], _alert_span).extent() is None
