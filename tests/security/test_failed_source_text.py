"""Issue 9, item 4: when the source an answer depends on failed or was only partly read, the
answer's text says which source, what went wrong and what that means for the answer; it never
reads as "no alerts", "no changes" or "no runbook"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from opscontext.models import SourceState, SourceStatus
from opscontext.queries.blast import blast
from opscontext.queries.common import empty_caveat, problem
from opscontext.queries.correlate import correlate_alerts
from opscontext.queries.get_runbook import get_runbook
from opscontext.queries.what_changed import what_changed
from opscontext.queries.who_owns import who_owns
from tests.security.conftest import app_for

pytestmark = pytest.mark.anyio
GARBAGE = '{"not": "an array"'


def status(capability: str, state: SourceState, detail: str | None = "disk on fire") -> SourceStatus:
    return SourceStatus(source="src1", type="vendor", capability=capability, state=state, detail=detail,
                        age_seconds=300 if state is SourceState.STALE else 0)


@pytest.mark.parametrize(("capability", "what"), [
    ("alerts", "alerts"), ("changes", "changes"), ("catalog", "services, teams and people"),
    ("topology", "dependencies between services"), ("oncall", "who is on call"),
    ("escalation", "escalation policies"), ("runbooks", "runbooks"), ("health", "live health"),
])
def test_every_capability_says_what_its_failure_leaves_out(capability: str, what: str) -> None:
    failed = problem(status(capability, SourceState.FAILED))
    assert failed is not None and failed.endswith(f"failed: disk on fire; {what} could not be read")
    assert "'src1' (vendor)" in failed
    degraded = problem(status(capability, SourceState.DEGRADED))
    assert degraded is not None and degraded.endswith(f"is degraded: disk on fire; some {what} could not be read")
    stale = problem(status(capability, SourceState.STALE))
    assert stale is not None and stale.endswith(f"{what}: served from its data of 300 s ago")
    assert problem(status(capability, SourceState.OK)) is None


def test_an_empty_answer_from_a_failed_source_leads_with_the_failure() -> None:
    caveat = empty_caveat([status("alerts", SourceState.FAILED)], "alerts", "alerts")
    assert caveat == ("Alert source 'src1' (vendor) failed: disk on fire; alerts could not be read, "
                      "so finding no alerts is not evidence there are none.")
    assert empty_caveat([status("alerts", SourceState.OK)], "alerts", "alerts") is None


async def test_correlation_over_a_failed_alert_source_names_it_and_never_says_no_alerts(world: Path) -> None:
    for snapshot in (world / "alerts").iterdir():
        snapshot.write_text(GARBAGE)
    async with app_for(world) as app:
        answer = await correlate_alerts(app)
    assert answer.groups == []
    assert answer.explanation.startswith("Alert source 'alerts' (alertmanager) failed: ")
    assert "alerts could not be read, so finding no alerts is not evidence there are none" in answer.explanation
    assert "No alerts" not in answer.explanation and "no alerts in" not in answer.explanation.lower()


async def test_correlation_over_a_partly_read_alert_source_says_what_it_covers(world: Path) -> None:
    snapshots = sorted((world / "alerts").iterdir())
    snapshots[0].write_text(GARBAGE)
    async with app_for(world) as app:
        answer = await correlate_alerts(app, since="7d")
    assert answer.alerts_in > 0, "the other files still answer"
    assert answer.explanation.startswith("Alert source 'alerts' (alertmanager) is degraded: ")
    assert "some alerts could not be read; what follows covers only the alerts that were read." in answer.explanation


async def test_what_changed_over_a_failed_change_source_never_says_nothing_changed(world: Path) -> None:
    shutil.rmtree(world / "changes")
    async with app_for(world) as app:
        answer = await what_changed(app, since="7d")
    assert answer.changes == []
    assert answer.notes[0].startswith("Change source 'changes' (cdevents) failed: ")
    assert answer.notes[0].endswith("changes could not be read, so finding no changes is not evidence there are none.")


async def test_who_owns_without_alerts_or_on_call_says_what_is_unknown(world: Path) -> None:
    shutil.rmtree(world / "alerts")
    shutil.rmtree(world / "oncall")
    async with app_for(world) as app:
        answer = await who_owns(app, "payment-service")
    assert answer.incident_started is None and answer.on_call == []
    notes = " | ".join(answer.notes)
    assert "on-call source 'oncall' (ical) failed: " in notes
    assert "who is on call could not be read" in notes
    assert "alerts could not be read" in notes
    assert "when an incident on this service started, and so when each escalation step engages, is unknown" in notes


async def test_get_runbook_over_a_failed_runbook_source_never_says_no_runbook_matches(world: Path) -> None:
    shutil.rmtree(world / "runbooks")
    async with app_for(world) as app:
        answer = await get_runbook(app, query="kafka consumer lag")
    assert answer.runbooks == []
    assert answer.notes[0].startswith("Runbook source 'runbooks' (runbooks) failed: ")
    assert "finding no runbook is not evidence there are none" in answer.notes[0]
    assert not any(n.startswith("No runbook matches") for n in answer.notes)


async def test_blast_radius_over_a_partly_read_catalog_says_services_may_be_missing(world: Path) -> None:
    (world / "catalog" / "payments" / "catalog-info.yaml").write_text("kind: Component\nmetadata: name: x\n")
    async with app_for(world) as app:
        answer = await blast(app, "orders-db")
    assert any(n.startswith("catalog source 'catalog' (backstage) is degraded: ")
               and n.endswith("some services, teams and people could not be read") for n in answer.notes)
