"""A member that began late in a cycle of alerting services explains what began after it, not the
whole cycle: time is the only direction a cycle has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opscontext.engine.correlate import correlate
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, Change, DependencyEdge, Service

T0 = datetime(2026, 3, 9, 9, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)

# Six services calling each other around a ring (a mesh's cycle in small), each reading its
# settings from config-db; web calls the first of them.
RING = [f"svc-{i}" for i in range(6)]
EDGES = [("web", RING[0]), *((s, "config-db") for s in RING),
         *((a, b) for i, a in enumerate(RING) for b in (RING[(i + 1) % 6], RING[i - 1]))]


def graph() -> ServiceGraph:
    names = sorted({n for e in EDGES for n in e})
    return ServiceGraph.build([Service(name=n) for n in names],
                              [DependencyEdge(dependent=a, dependency=b) for a, b in EDGES])


def alert(service: str, minutes: float) -> Alert:
    return Alert(fingerprint=f"{service}-{minutes}", alertname="HighErrorRate", service=service,
                 severity="critical", starts_at=T0 + timedelta(minutes=minutes), labels={"service": service})


# config-db fails first; the ring's members follow over four minutes, web with them.
ALERTS = [alert("config-db", 0.0), alert("svc-0", 0.5), alert("svc-1", 0.7), alert("web", 1.0),
          alert("svc-2", 1.2), alert("svc-5", 1.5), alert("svc-3", 3.5), alert("svc-4", 4.0)]


# svc-4's deploy, a minute and a half after config-db's first alert
DEPLOY = [Change(id="c1", service="svc-4", kind="deployment", summary="Deploy svc-4 2.1.0",
                 at=T0 + timedelta(minutes=1, seconds=30))]


def test_a_deploy_on_a_member_that_began_late_does_not_outrank_the_database_below_the_cycle() -> None:
    # svc-4 was deployed a minute and a half after config-db began failing and alerted two
    # and a half minutes later: through the ring it reaches every member, but most had begun
    # before it. Counted as explaining the whole cycle, its deploy put it first.
    (group,) = correlate(ALERTS, graph(), DEPLOY, now=NOW).groups
    assert group.primary_contributor == "config-db"
    ranked = {c.service: c for c in group.candidates}
    assert "svc-4" in ranked and ranked["svc-4"].score < ranked["config-db"].score


def test_without_the_late_start_the_deployed_member_still_explains_the_cycle() -> None:
    # The same deploy on a member that began with the others: nothing says it came late to the
    # cycle, so it explains all of it and its change weighs as before.
    alerts = [a if a.service != "svc-4" else alert("svc-4", 0.6) for a in ALERTS]
    changes = [Change(id="c1", service="svc-4", kind="deployment", summary="Deploy svc-4 2.1.0",
                      at=T0 - timedelta(minutes=3))]
    (group,) = correlate(alerts, graph(), changes, now=NOW).groups
    assert group.primary_contributor == "svc-4"


def test_a_flag_change_naming_the_late_member_keeps_it_first() -> None:
    # The same timing, but the change is a feature flag recorded on no service whose key names
    # svc-4: evidence of its own that the failure started there, so it explains the cycle still.
    flag = [Change(id="f1", service=None, kind="feature_flag", summary="flag svc-4-fast-path turned on",
                   at=T0 + timedelta(minutes=1, seconds=30))]
    (group,) = correlate(ALERTS, graph(), flag, now=NOW).groups
    assert group.primary_contributor == "svc-4"
