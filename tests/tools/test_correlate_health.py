"""correlate_alerts asks a health source about the quiet candidates of the groups it shows.

A world of file sources (Backstage catalog, Alertmanager alerts) and a fake HealthSource that
records what it is asked: a quiet datastore behind the services that alert, measured before and
during their group.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from mcp import Client

from opscontext.app import App, open_app
from opscontext.cache import MemoryCache
from opscontext.config import ConnectorConfig
from opscontext.errors import SourceUnavailableError
from opscontext.models import ServiceHealth, SourceState
from opscontext.queries import correlate_memo
from opscontext.queries.correlate import CorrelationAnswer, correlate_alerts
from opscontext.queries.correlate_health import MAX_INSTANTS, MAX_NAMES
from opscontext.registry import ConnectorContext, ConnectorSpec, discover
from opscontext.server import build_server
from opscontext.settings import Settings

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
START = NOW - timedelta(minutes=20)  # the first alert: 11:40:30
SINCE, UNTIL = (NOW - timedelta(hours=1)).isoformat(), NOW.isoformat()
Reading = Callable[[str, datetime], ServiceHealth | None]


class FakeHealthConfig(ConnectorConfig):
    calm: bool = False  # this instance sees every service calm, whatever ``reading`` says


class FakeHealth:
    """A HealthSource answering from ``reading`` (None: no data for that name), recording each call."""

    asked: ClassVar[list[tuple[tuple[str, ...], datetime]]] = []
    reading: ClassVar[Reading] = staticmethod(lambda service, at: None)
    down: ClassVar[bool] = False
    hangs: ClassVar[bool] = False

    def __init__(self, ctx: ConnectorContext[FakeHealthConfig]):
        self.name, self.calm = ctx.name, ctx.config.calm

    async def health(self, services: Sequence[str], at: datetime) -> list[ServiceHealth]:
        type(self).asked.append((tuple(services), at))
        if type(self).hangs:
            await asyncio.Event().wait()  # never answers: the hub's timeout must
        if type(self).down:
            raise SourceUnavailableError("HTTP 503 from the metrics backend", instance=self.name)
        found = (calm(s, at) if self.calm else type(self).reading(s, at) for s in services)
        return [h.model_copy(update={"source": self.name}) for h in found if h is not None]


SPEC = ConnectorSpec(type="fakehealth", summary="test health", config_model=FakeHealthConfig, factory=FakeHealth)


def degrades(name: str) -> Reading:
    """``name``'s error ratio jumps when the group begins; every other service has no data."""
    def read(service: str, at: datetime) -> ServiceHealth | None:
        if service != name:
            return None
        return ServiceHealth(service=service, error_rate=0.4 if at >= START else 0.001, at=at)
    return read


def calm(service: str, at: datetime) -> ServiceHealth:
    return ServiceHealth(service=service, error_rate=0.001, latency_p99_seconds=0.05, request_rate=100.0, at=at)


def component(name: str, deps: Sequence[str] = ()) -> str:
    on = ", ".join(f"'component:default/{d}'" for d in deps)
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\n"
            f"spec: {{type: service, lifecycle: production, owner: team-a, dependsOn: [{on}]}}\n")


def alert(i: int, service: str, at: datetime) -> dict[str, object]:
    stamp = at.isoformat().replace("+00:00", "Z")
    return {"labels": {"alertname": "HighErrorRate", "service": service, "severity": "critical"},
            "annotations": {}, "startsAt": stamp, "updatedAt": stamp,
            "endsAt": (NOW + timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
            "fingerprint": f"{i:016x}", "receivers": [{"name": "oncall"}],
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}}


def shared_datastore(tmp_path: Path) -> Path:
    """orders and payments both call postgres; both alert, postgres does not."""
    (tmp_path / "catalog.yaml").write_text("---\n".join(
        [component("orders", ["postgres"]), component("payments", ["postgres"]), component("postgres")]))
    (tmp_path / "alerts.json").write_text(json.dumps(
        [alert(0, "orders", START), alert(1, "payments", START + timedelta(seconds=40)),
         alert(2, "orders", START + timedelta(minutes=1))]))
    return tmp_path


@asynccontextmanager
async def app_for(world: Path, health: bool = True, limits: dict[str, float] | None = None,
                  **more: dict[str, object]) -> AsyncIterator[App]:
    connectors: dict[str, dict[str, object]] = {"catalog": {"type": "backstage", "path": "catalog.yaml"},
                                                "alerts": {"type": "alertmanager", "path": "alerts.json"}, **more}
    if health:
        connectors["metrics"] = {"type": "fakehealth"}
    settings = Settings(connectors=connectors, base_dir=world, limits=limits or {})
    specs = {**discover(), "fakehealth": SPEC}
    async with open_app(settings, cache=MemoryCache(), clock=lambda: NOW, specs=specs) as app:
        yield app


@pytest.fixture(autouse=True)
def fresh_fake() -> None:
    FakeHealth.asked, FakeHealth.down, FakeHealth.hangs = [], False, False
    FakeHealth.reading = staticmethod(lambda service, at: None)


async def ask(world: Path, reading: Reading | None = None, **kwargs: object) -> CorrelationAnswer:
    if reading is not None:
        FakeHealth.reading = staticmethod(reading)
    async with app_for(world, health=reading is not None or FakeHealth.down) as app:
        return await correlate_alerts(app, SINCE, kwargs.pop("until", UNTIL), **kwargs)  # type: ignore[arg-type]


def health_status(answer: CorrelationAnswer) -> tuple[str, SourceState]:
    (status,) = [s for s in answer.sources if s.capability == "health"]
    return status.source, status.state


async def test_a_quiet_datastore_its_health_source_saw_degrade_becomes_the_primary(tmp_path: Path) -> None:
    world = shared_datastore(tmp_path)
    before = (await ask(world)).groups[0]
    assert before.primary_contributor != "postgres", "without health, the graph alone does not name it"
    (group,) = (await ask(world, degrades("postgres"))).groups
    assert group.primary_contributor == "postgres"
    assert group.candidates[0].evidence[0] == (
        "did not alert, but its own health shows it degraded: error ratio 0.1% -> 40% (metrics)")
    assert group.confidence > before.confidence * 0.5 and group.uncertain_because is None


async def test_a_private_datastore_seen_degraded_behind_its_one_alerting_caller_becomes_the_primary(
    tmp_path: Path,
) -> None:
    (tmp_path / "catalog.yaml").write_text("---\n".join([component("orders", ["postgres"]), component("postgres")]))
    (tmp_path / "alerts.json").write_text(json.dumps([alert(0, "orders", START), alert(1, "orders", START)]))
    plain = (await ask(tmp_path)).groups[0]
    group = (await ask(tmp_path, degrades("postgres"))).groups[0]
    assert plain.primary_contributor == "orders"
    assert group.primary_contributor == "postgres" and group.candidates[1].service == "orders"
    assert group.candidates[0].evidence[0] == (
        "did not alert, but its own health shows it degraded: error ratio 0.1% -> 40% (metrics)")
    serving = (await ask(tmp_path, calm)).groups[0]
    assert serving.primary_contributor == "orders" and serving.confidence >= plain.confidence


async def test_a_quiet_datastore_measured_serving_drops_to_the_floor(tmp_path: Path) -> None:
    world = shared_datastore(tmp_path)
    before = {c.service: c.score for c in (await ask(world)).groups[0].candidates}
    group = (await ask(world, calm)).groups[0]
    after = {c.service: c for c in group.candidates}
    assert group.primary_contributor == "orders"
    assert after["postgres"].score < before["postgres"] / 2
    assert group.candidates[-1].service == "postgres"
    assert any("serving normally: error ratio 0.1% (metrics)" in line for line in after["postgres"].evidence)


async def test_the_source_is_asked_15_minutes_before_the_group_and_5_minutes_into_it_minute_rounded(
    tmp_path: Path,
) -> None:
    answer = await ask(shared_datastore(tmp_path), calm)
    assert sorted(at for _, at in FakeHealth.asked) == [datetime(2026, 3, 1, 11, 25, tzinfo=UTC),
                                                        datetime(2026, 3, 1, 11, 45, tzinfo=UTC)]
    assert {names for names, _ in FakeHealth.asked} == {("postgres",)}
    assert health_status(answer) == ("metrics", SourceState.OK)


async def test_a_window_ending_sooner_than_5_minutes_into_the_group_is_asked_at_its_end(tmp_path: Path) -> None:
    until = (START + timedelta(minutes=2, seconds=10)).isoformat()
    await ask(shared_datastore(tmp_path), calm, until=until)
    assert sorted(at for _, at in FakeHealth.asked) == [datetime(2026, 3, 1, 11, 25, tzinfo=UTC),
                                                        datetime(2026, 3, 1, 11, 42, tzinfo=UTC)]


async def test_a_failing_health_source_degrades_the_answer_and_changes_no_group(tmp_path: Path) -> None:
    world = shared_datastore(tmp_path)
    plain = await ask(world)
    FakeHealth.down = True
    answer = await ask(world)
    assert FakeHealth.asked, "it was asked"
    assert answer.groups == plain.groups
    assert health_status(answer) == ("metrics", SourceState.FAILED)
    assert any(n.startswith("health source 'metrics' (fakehealth) failed: HTTP 503") for n in answer.notes)


async def test_a_health_source_that_never_answers_costs_the_call_its_deadline_not_its_answer(tmp_path: Path) -> None:
    world = shared_datastore(tmp_path)
    plain = await ask(world)
    FakeHealth.hangs = True
    async with app_for(world, limits={"call_timeout_seconds": 0.2}) as app:
        answer = await correlate_alerts(app, SINCE, UNTIL)
    assert answer.groups == plain.groups
    (status,) = [s for s in answer.sources if s.capability == "health"]
    assert status.state is SourceState.FAILED and (status.detail or "").startswith("no answer within")


async def test_without_a_health_source_nothing_is_asked_and_no_health_status_is_listed(tmp_path: Path) -> None:
    world = shared_datastore(tmp_path)
    without = await ask(world)
    no_data = await ask(world, lambda service, at: None)  # configured, but it knows none of them
    assert not any(s.capability == "health" for s in without.sources)
    assert without.groups == no_data.groups and without.notes == no_data.notes
    assert [s for s in no_data.sources if s.capability != "health"] == without.sources


async def test_verdicts_are_of_the_call_and_leave_the_kept_correlation_as_it_was(tmp_path: Path) -> None:
    world = shared_datastore(tmp_path)
    plain = (await ask(world)).groups[0]
    FakeHealth.reading = staticmethod(degrades("postgres"))
    async with app_for(world) as app:
        first = await correlate_alerts(app, SINCE, UNTIL)
        graph = (await app.worlds.build()).graph
        kept = correlate_memo._LAST[graph].result
        again = await correlate_alerts(app, SINCE, UNTIL)
        assert correlate_memo._LAST[graph].result is kept, "the same correlation, ranked again with the verdicts"
        held = kept.group(0)  # type: ignore[attr-defined]
    assert first.groups[0].primary_contributor == again.groups[0].primary_contributor == "postgres"
    assert held.primary_contributor == plain.primary_contributor != "postgres"
    assert [(c.service, c.score) for c in held.candidates] == [(c.service, c.score) for c in plain.candidates]


async def test_a_group_id_page_ranks_its_group_as_the_listing_did(tmp_path: Path) -> None:
    world = shared_datastore(tmp_path)
    listed = (await ask(world, degrades("postgres"))).groups[0]
    page = (await ask(world, degrades("postgres"), group_id=listed.id)).groups[0]
    assert page.primary_contributor == "postgres" and page.candidates == listed.candidates


def many_groups(tmp_path: Path, groups: int, quiet_each: int) -> Path:
    """``groups`` unrelated services that alert, each with ``quiet_each`` private quiet datastores."""
    docs, alerts = [], []
    for g in range(groups):
        deps = [f"db{g}x{d}" for d in range(quiet_each)]
        docs += [component(f"svc{g}", deps), *(component(d) for d in deps)]
        alerts.append(alert(g, f"svc{g}", START + timedelta(minutes=g)))
    (tmp_path / "catalog.yaml").write_text("---\n".join(docs))
    (tmp_path / "alerts.json").write_text(json.dumps(alerts))
    return tmp_path


async def test_the_names_asked_are_capped_and_the_cut_is_noted(tmp_path: Path) -> None:
    answer = await ask(many_groups(tmp_path, groups=10, quiet_each=5), calm)
    assert len(answer.groups) == 10
    asked = {name for names, _ in FakeHealth.asked for name in names}
    assert len(asked) == MAX_NAMES
    assert all(len(names) <= MAX_NAMES for names, _ in FakeHealth.asked)
    assert f"10 quiet candidates of the listed groups were not checked against the health source (an answer " \
           f"asks about at most {MAX_NAMES} services, at {MAX_INSTANTS} instants)." in answer.notes
    # Groups of one instant share its call: never more calls than distinct instants.
    instants = [at for _, at in FakeHealth.asked]
    assert len(instants) == len(set(instants))


async def test_one_source_seeing_it_degraded_outweighs_another_seeing_it_serve(tmp_path: Path) -> None:
    FakeHealth.reading = staticmethod(degrades("postgres"))
    async with app_for(shared_datastore(tmp_path), steady={"type": "fakehealth", "calm": True}) as app:
        answer = await correlate_alerts(app, SINCE, UNTIL)
    assert answer.groups[0].primary_contributor == "postgres"
    assert sorted(s.source for s in answer.sources if s.capability == "health") == ["metrics", "steady"]


async def test_readings_of_another_instant_than_the_one_asked_give_no_verdict(tmp_path: Path) -> None:
    world = shared_datastore(tmp_path)
    plain = await ask(world)
    # Readings that moved, but stamped with the present instead of the instants asked: a source
    # (or a stale answer) that cannot say how postgres was at those instants.
    answer = await ask(world, lambda service, at: degrades("postgres")(service, at).model_copy(update={"at": NOW}))
    assert answer.groups == plain.groups


async def test_the_instants_asked_are_capped_and_the_groups_left_unasked_are_noted(tmp_path: Path) -> None:
    answer = await ask(many_groups(tmp_path, groups=15, quiet_each=1), calm)  # 15 groups a minute apart
    assert len(answer.groups) == 15
    assert len(FakeHealth.asked) == MAX_INSTANTS
    assert len({name for names, _ in FakeHealth.asked for name in names}) == MAX_INSTANTS // 2
    assert f"3 quiet candidates of the listed groups were not checked against the health source (an answer " \
           f"asks about at most {MAX_NAMES} services, at {MAX_INSTANTS} instants)." in answer.notes


async def test_through_an_mcp_client_the_degraded_datastore_leads_with_its_health_evidence(tmp_path: Path) -> None:
    world = shared_datastore(tmp_path)
    FakeHealth.reading = staticmethod(degrades("postgres"))
    settings = Settings(connectors={"catalog": {"type": "backstage", "path": "catalog.yaml"},
                                    "alerts": {"type": "alertmanager", "path": "alerts.json"},
                                    "metrics": {"type": "fakehealth"}}, base_dir=world)
    server = build_server(settings, cache=MemoryCache(), clock=lambda: NOW, specs={**discover(), "fakehealth": SPEC})
    async with Client(server) as client:
        result = await client.call_tool("correlate_alerts", {"since": SINCE, "until": UNTIL})
    assert not result.is_error, result.content
    data = result.structured_content
    assert data is not None
    (group,) = data["groups"]
    assert group["primary_contributor"] == "postgres"
    assert group["candidates"][0]["evidence"][0].startswith("did not alert, but its own health shows it degraded")
    assert {(s["source"], s["state"]) for s in data["sources"] if s["capability"] == "health"} == {("metrics", "ok")}
