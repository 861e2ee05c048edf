"""What the estate-size memory savings rely on: shared fields-sets and lean identity memos."""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from datetime import UTC, datetime

from opscontext.memo import IdentityMemo
from opscontext.models import Alert, DependencyEdge, Service

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_models_with_the_same_explicit_fields_share_one_fields_set() -> None:
    a = DependencyEdge(dependent="web", dependency="db", source="catalog")
    b = DependencyEdge(dependent="api", dependency="cache", source="catalog")
    assert a.model_fields_set == {"dependent", "dependency", "source"}
    assert a.model_fields_set is b.model_fields_set
    c = DependencyEdge(dependent="api", dependency="cache")
    assert c.model_fields_set == {"dependent", "dependency"}


def test_a_copy_with_an_update_records_its_own_fields_and_leaves_the_shared_set_alone() -> None:
    a = DependencyEdge(dependent="web", dependency="db")
    b = DependencyEdge(dependent="api", dependency="cache")
    copied = a.model_copy(update={"kind": "api"})
    assert copied.model_fields_set == {"dependent", "dependency", "kind"}
    assert a.model_fields_set == b.model_fields_set == {"dependent", "dependency"}
    assert copied.kind == "api" and a.kind == "depends_on"
    assert copied.model_dump(exclude_unset=True) == {"dependent": "web", "dependency": "db", "kind": "api"}


def test_validated_and_copied_models_keep_equality_and_round_trip() -> None:
    s = Service(name="web", tier="tier-1", annotations={"a": "b"})
    again = Service.model_validate(s.model_dump())
    assert again == s
    assert again.model_fields_set is Service.model_validate(s.model_dump()).model_fields_set


def test_a_thousand_alerts_do_not_hold_a_thousand_fields_sets() -> None:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        alerts = [
            Alert(fingerprint="f", alertname="X", service="web", severity="critical", starts_at=NOW)
            for _ in range(1000)
        ]
        per_alert = (tracemalloc.get_traced_memory()[0] - before) / len(alerts)
    finally:
        tracemalloc.stop()
    assert len({id(a.model_fields_set) for a in alerts}) == 1
    assert per_alert < 1000  # ~680 here; an own set of five names made it ~1,400


def test_an_identity_memo_entry_costs_one_weak_reference_not_a_closure() -> None:
    items = [Alert(fingerprint=str(i), alertname="X", starts_at=NOW) for i in range(2000)]
    memo: IdentityMemo[Alert, Alert] = IdentityMemo()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for item in items:
            memo.get(item, lambda a: a)
        per_entry = (tracemalloc.get_traced_memory()[0] - before) / len(items)
    finally:
        tracemalloc.stop()
    assert per_entry < 300  # ~180 here; a closure, a cell and a tuple per entry made it ~500


def test_an_identity_memo_does_not_keep_itself_alive_through_its_callbacks() -> None:
    memo: IdentityMemo[Alert, str] = IdentityMemo()
    kept = Alert(fingerprint="k", alertname="X", starts_at=NOW)
    memo.get(kept, lambda a: "made")
    alive = weakref.ref(memo)
    del memo
    gc.collect()
    assert alive() is None
    del kept  # its weak reference's callback now finds no memo, and must not fail
    gc.collect()
