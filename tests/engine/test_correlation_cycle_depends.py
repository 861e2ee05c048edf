"""Services that call each other are one node for the question "what does it depend on": a cycle
whose member calls an alerting service outside it depends on that service as a whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opscontext.engine.correlate import correlate
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, Change, DependencyEdge, Service

T0 = datetime(2026, 3, 2, 13, 48, 10, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)

# orders and billing call each other; billing reaches ledger-db through a quiet ledger service,
# so orders is three hops from the database, one more than a group links directly.
EDGES = [("web", "orders"), ("orders", "billing"), ("billing", "orders"), ("billing", "ledger"),
         ("ledger", "ledger-db")]


def graph() -> ServiceGraph:
    names = sorted({n for e in EDGES for n in e})
    return ServiceGraph.build([Service(name=n) for n in names],
                              [DependencyEdge(dependent=a, dependency=b) for a, b in EDGES])


def alert(service: str, name: str, minutes: float, ends: float | None = None) -> Alert:
    return Alert(fingerprint=f"{service}-{name}-{minutes}", alertname=name, service=service, severity="critical",
                 starts_at=T0 + timedelta(minutes=minutes), labels={"service": service},
                 ends_at=None if ends is None else T0 + timedelta(minutes=ends))


# A routine deploy of orders forty minutes earlier: weak evidence, enough to tip a tie.
DEPLOY = [Change(id="d1", service="orders", kind="deployment", summary="Deploy orders 4.2.0",
                 at=T0 - timedelta(minutes=40))]


def cycle(db_ends: float | None) -> list[Alert]:
    return [alert("orders", "HighErrorRate", 0.0), alert("billing", "HighErrorRate", 0.3),
            alert("web", "FrontendHTTP5xx", 0.6), alert("ledger-db", "ConnectionsSaturated", 1.5, ends=db_ends)]


def test_a_database_still_failing_below_a_cycle_is_named_over_the_cycle_s_first_member() -> None:
    # The callers noticed first; the database below the cycle began a minute and a half later
    # and still fails. orders has no alerting dependency of its own within two hops, but billing,
    # which it calls and which calls it, does: the cycle is not the deepest failing part (were it,
    # orders' old deploy would name orders).
    (group,) = correlate(cycle(None), graph(), DEPLOY, now=NOW).groups
    assert group.primary_contributor == "ledger-db"
    orders = next(c for c in group.candidates if c.service == "orders")
    assert any(e.startswith("depends on 1 other alerting service") for e in orders.evidence)


def test_a_later_blip_below_the_cycle_that_is_over_leaves_the_cycle_deepest() -> None:
    # The same database alert, resolved a minute on: a later blip is no cause of the cycle's
    # failing, so orders keeps its place as a deepest failing service.
    (group,) = correlate(cycle(2.5), graph(), DEPLOY, now=NOW).groups
    assert group.primary_contributor == "orders"
    assert any(e.startswith("deepest alerting dependency") for e in group.candidates[0].evidence)
