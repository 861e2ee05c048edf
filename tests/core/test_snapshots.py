"""File sources held whole in memory: sanitised once per version of their data, windowed exactly
as their own windowed methods would, and prepared before the first call by the background load."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.capabilities import ALERTS, CHANGES
from opscontext.config import ConnectorConfig
from opscontext.hub import Hub
from opscontext.models import Alert, Change, DependencyEdge, TimeWindow
from opscontext.registry import ConnectorContext, ConnectorSpec, Registry
from opscontext.replay import replayed
from opscontext.settings import Settings
from opscontext.snapshots import SPANS, Prepared, Snapshots, snapshot_of

pytestmark = pytest.mark.anyio
T0 = datetime(2026, 3, 1, tzinfo=UTC)
SECRET = "AKIAIOSFODNN7EXAMPLE"


def _alerts(n: int, rng: random.Random) -> list[Alert]:
    out = []
    for i in range(n):
        start = T0 + timedelta(minutes=rng.randrange(0, 600))
        end = None if rng.random() < 0.2 else start + timedelta(minutes=rng.randrange(0, 240))
        out.append(Alert(fingerprint=f"f{i}", alertname="HighErrorRate", service=f"svc-{i % 7}",
                         starts_at=start, ends_at=end))
    return out


def _changes(n: int, rng: random.Random) -> list[Change]:
    return [Change(id=f"c{i}", service="svc", kind="deploy", summary="deploy",
                   at=T0 + timedelta(minutes=rng.randrange(0, 600))) for i in range(n)]


def _windows(rng: random.Random) -> list[TimeWindow]:
    found = [TimeWindow(since=T0 - timedelta(days=1), until=T0 + timedelta(days=1)),  # everything
             TimeWindow(since=T0 + timedelta(days=2), until=T0 + timedelta(days=3)),  # nothing
             TimeWindow(since=T0 + timedelta(minutes=300), until=T0 + timedelta(minutes=300))]  # an instant
    for _ in range(60):
        a, b = sorted(rng.randrange(-60, 900) for _ in range(2))
        found.append(TimeWindow(since=T0 + timedelta(minutes=a), until=T0 + timedelta(minutes=b)))
    return found


@pytest.mark.parametrize("kind", ["alerts", "changes"])
def test_a_prepared_window_holds_exactly_what_the_keep_filter_accepts_in_source_order(kind: str) -> None:
    rng = random.Random(7)
    capability = ALERTS if kind == "alerts" else CHANGES
    items: list[Any] = _alerts(500, rng) if kind == "alerts" else _changes(500, rng)
    prepared = Prepared(items, items, SPANS[capability.item])
    keep = capability.keep
    assert keep is not None
    for window in _windows(rng):
        expected = [x for x in items if keep(x, window)]
        got = prepared.window(keep, (window,))
        assert [id(x) for x in got] == [id(x) for x in expected], window


def _alert_json(i: int, start: datetime, summary: str = "error rate high") -> dict[str, Any]:
    iso = start.isoformat().replace("+00:00", "Z")
    return {"labels": {"alertname": "HighErrorRate", "service": f"svc-{i}"}, "annotations": {"summary": summary},
            "startsAt": iso, "endsAt": (start + timedelta(minutes=30)).isoformat().replace("+00:00", "Z"),
            "updatedAt": iso, "fingerprint": f"{i:016x}", "receivers": [{"name": "oncall"}],
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}}


def _settings(tmp_path: Path, alerts: list[dict[str, Any]]) -> Settings:
    (tmp_path / "alerts.json").write_text(json.dumps(alerts), encoding="utf-8")
    return Settings(connectors={"alerts": {"type": "alertmanager", "path": "alerts.json"}}, base_dir=tmp_path)


async def test_alerts_from_files_are_sanitised_once_and_each_call_windows_them(tmp_path: Path) -> None:
    rows = [_alert_json(i, T0 + timedelta(minutes=10 * i)) for i in range(20)]
    rows[3]["annotations"]["summary"] = f"key {SECRET} leaked"
    async with open_app(_settings(tmp_path, rows), cache=MemoryCache()) as app:
        late = TimeWindow(since=T0 + timedelta(minutes=100), until=T0 + timedelta(hours=5))
        first = (await app.hub.alerts(TimeWindow(since=T0, until=T0 + timedelta(hours=5)))).items()
        second = (await app.hub.alerts(late)).items()
        assert len(first) == 20
        assert [a.fingerprint for a in second] == [f"{i:016x}" for i in range(7, 20)]  # ended by 100 min: 0-6
        leaked = next(a for a in first if a.fingerprint == f"{3:016x}")
        assert SECRET not in (leaked.summary or "") and SECRET not in json.dumps(leaked.annotations)
        # Sanitised once: the second window hands out the very objects the first one did.
        by_fp = {a.fingerprint: a for a in first}
        assert all(a is by_fp[a.fingerprint] for a in second)


async def test_changed_files_are_prepared_again(tmp_path: Path) -> None:
    settings = _settings(tmp_path, [_alert_json(0, T0)])
    window = TimeWindow(since=T0, until=T0 + timedelta(hours=2))
    async with open_app(settings, cache=MemoryCache()) as app:
        assert len((await app.hub.alerts(window)).items()) == 1
        rows = [_alert_json(0, T0), _alert_json(1, T0 + timedelta(minutes=5), summary=f"token {SECRET}")]
        (tmp_path / "alerts.json").write_text(json.dumps(rows), encoding="utf-8")
        got = (await app.hub.alerts(window)).items()
        assert [a.fingerprint for a in got] == [f"{0:016x}", f"{1:016x}"]
        assert SECRET not in (got[1].summary or "")


async def test_the_background_load_prepares_alerts_before_the_first_call(tmp_path: Path) -> None:
    async with open_app(_settings(tmp_path, [_alert_json(0, T0)]), cache=MemoryCache(), preload=True) as app:
        assert app.loading is not None
        await app.loading
        assert len(app.hub._snapshots) == 1


async def test_a_replayed_source_is_never_read_through_its_inner_snapshot(tmp_path: Path) -> None:
    async with open_app(_settings(tmp_path, [_alert_json(0, T0)]), cache=MemoryCache()) as app:
        inner = app.registry.instances[0].connector
        assert snapshot_of(inner, ALERTS) is not None
        # The wrapper shifts times; the inner snapshot would hand out unshifted alerts.
        assert snapshot_of(replayed(inner, timedelta(hours=1)), ALERTS) is None


class KeptEdges:
    """A topology file source: the same parsed list on every call, one edge with a name to clean."""

    def __init__(self, ctx: ConnectorContext[ConnectorConfig]):
        self.name = ctx.name
        self.edges_list = [DependencyEdge(dependent="checkout", dependency="payments"),
                           DependencyEdge(dependent="checkout\u200b", dependency="payments")]  # zero-width: removed

    async def edges(self) -> list[DependencyEdge]:
        return self.edges_list


async def test_a_bulk_answer_the_source_hands_over_again_is_not_cleaned_into_a_new_object() -> None:
    spec = ConnectorSpec(type="kept", summary="test", config_model=ConnectorConfig, factory=KeptEdges,
                         cacheable=False)
    hub = Hub(Registry.build({"t": {"type": "kept"}}, specs={"kept": spec}), Settings(), MemoryCache())
    [(_, first)], [(_, second)] = (await hub.edges()).results, (await hub.edges()).results
    assert [e.dependent for e in first] == ["checkout", "checkout"]
    # The world is rebuilt when its inputs are new objects: a cleaned copy per call rebuilt it every call.
    assert second is first


async def test_a_preparation_that_failed_is_tried_again_by_the_next_call() -> None:
    failures = [RuntimeError("sanitiser bug")]

    def clean(items: Any) -> Any:
        if failures:
            raise failures.pop()
        return items

    snapshots = Snapshots(clean)
    items = _alerts(3, random.Random(1))
    with pytest.raises(RuntimeError):
        await snapshots.prepared("alerts", ALERTS, items)
    assert (await snapshots.prepared("alerts", ALERTS, items)).items == items
