"""Loading at server start: the world and file sources are read before the first call, a call
during the load joins it, and a broken source neither stops the server nor hides its failure."""

from __future__ import annotations

import asyncio
import gc
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.engine.correlation.topology import _ADJACENCY
from opscontext.files import Reloading
from opscontext.gcpause import long_lived
from opscontext.models import SourceState, TimeWindow
from opscontext.settings import Settings, load

pytestmark = pytest.mark.anyio
DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "opscontext.toml"


def _connector(app: object, type_name: str) -> object:
    return next(i.connector for i in app.registry.instances if i.spec.type == type_name)  # type: ignore[attr-defined]


async def test_a_server_parses_the_catalog_alerts_and_changes_before_anyone_asks() -> None:
    async with open_app(load(DEMO), cache=MemoryCache(), preload=True) as app:
        assert app.loading is not None
        await app.loading
        assert app.worlds._last is not None and len(app.worlds._last.graph) > 0
        for type_name in ("alertmanager", "cdevents"):
            assert _connector(app, type_name)._files._state is not None  # type: ignore[attr-defined]
        # The first call is served from what was loaded: the same world object.
        assert await app.worlds.build() is app.worlds._last
        # ...and the engine's per-graph indexes over it are built already, not in that call.
        adj = _ADJACENCY.get(app.worlds._last.graph)
        assert adj is not None and adj.spellings and adj.hubs


def _reloading(obj: object, depth: int = 3) -> list[Reloading[object]]:
    """The file readers a connector holds: itself, or through the objects it keeps (the demo's
    time-shifting wrapper, a reader of its own), a few levels down."""
    if isinstance(obj, Reloading):
        return [obj]
    if depth == 0 or not hasattr(obj, "__dict__"):
        return []
    return [r for value in vars(obj).values() for r in _reloading(value, depth - 1)]


async def test_every_file_source_of_the_demo_is_parsed_at_start_not_by_the_first_call() -> None:
    # On-call calendars, escalation policies, SLOs, runbooks and the recorded metrics were read
    # by the first call that needed them: half a second of the first correlate_alerts (the
    # metrics recording) and of the first incident_context.
    async with open_app(load(DEMO), cache=MemoryCache(), preload=True) as app:
        assert app.loading is not None
        await app.loading
        readers = {i.spec.type: _reloading(i.connector) for i in app.registry.instances}
        assert {"ical", "escalation", "openslo", "runbooks", "openmetrics"} <= {t for t, r in readers.items() if r}
        for type_name, found in readers.items():
            for reader in found:
                assert reader._state is not None, f"{type_name} was not read at start"


async def test_without_preload_nothing_is_read_until_a_call() -> None:
    async with open_app(load(DEMO), cache=MemoryCache()) as app:
        assert app.loading is None
        await asyncio.sleep(0)
        assert app.worlds._last is None


async def test_calls_arriving_together_share_one_world_assembly() -> None:
    async with open_app(load(DEMO), cache=MemoryCache()) as app:
        first, second = await asyncio.gather(app.worlds.build(), app.worlds.build())
        assert first is second


async def test_a_broken_alert_file_does_not_stop_the_preload_and_the_call_still_reports_it(tmp_path: Path) -> None:
    (tmp_path / "alerts.json").write_text(json.dumps({"not": "a list"}), encoding="utf-8")
    settings = Settings(connectors={"alerts": {"type": "alertmanager", "path": str(tmp_path / "alerts.json")}},
                        base_dir=tmp_path)
    async with open_app(settings, cache=MemoryCache(), preload=True) as app:
        assert app.loading is not None
        await app.loading  # finishes: a failed source is the calls' business to report
        now = app.hub.now()
        got = await app.hub.alerts(TimeWindow(since=now - timedelta(days=1), until=now))
        [status] = got.statuses
        assert status.state is SourceState.FAILED and "GET /api/v2/alerts" in (status.detail or "")


def test_a_long_lived_step_freezes_what_it_made_and_turns_the_collector_back_on() -> None:
    gc.unfreeze()
    before = gc.get_freeze_count()
    try:
        made = long_lived(lambda: [{"n": i} for i in range(1000)])()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + len(made)
    finally:
        gc.unfreeze()


def test_a_long_lived_step_that_fails_freezes_nothing() -> None:
    gc.unfreeze()

    def boom() -> None:
        raise ValueError("bad file")

    try:
        long_lived(boom)()
    except ValueError:
        pass
    assert gc.get_freeze_count() == 0 and gc.isenabled()


async def test_http_sources_are_not_read_ahead_so_they_spend_no_rate_limit_and_trip_no_breaker(tmp_path: Path) -> None:
    asked: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(404)

    settings = Settings(connectors={"demo": {"type": "backstage", "path": str(DEMO.parent / "catalog")},
                                    "bs": {"type": "backstage-api", "url": "https://backstage.example"}},
                        base_dir=tmp_path)
    async with open_app(settings, cache=MemoryCache(), transport=httpx.MockTransport(answer), preload=True) as app:
        assert app.loading is not None
        await app.loading
        assert asked == []
        assert app.worlds._last is None  # not every world source is local: assembled at the first call
        assert _connector(app, "backstage")._files._state is not None  # type: ignore[attr-defined]
