"""A broken source is never "ok": it is degraded (partial data, with the files and reasons) or
failed, and the answers that depend on it say so instead of guessing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from opscontext.cache import MemoryCache
from opscontext.config import ConnectorConfig
from opscontext.doctor import run_checks
from opscontext.errors import InputError
from opscontext.hub import Hub
from opscontext.models import SourceState, SourceStatus
from opscontext.problems import LoadReport, Problem
from opscontext.queries.correlate import correlate_alerts
from opscontext.queries.what_changed import what_changed
from opscontext.queries.who_owns import who_owns
from opscontext.registry import ConnectorContext, ConnectorSpec, Registry
from opscontext.server import build_server
from opscontext.settings import Settings, load
from tests.security.conftest import ANCHOR, WINDOW, app_for

pytestmark = pytest.mark.anyio
BROKEN_YAML = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: name: payment-service\n"


def state_of(statuses: list[SourceStatus], source: str, capability: str | None = None) -> SourceStatus:
    return next(s for s in statuses if s.source == source and capability in (None, s.capability))


async def test_garbage_yaml_in_one_catalog_file_degrades_the_catalog_and_the_rest_is_served(world: Path) -> None:
    (world / "catalog" / "payments" / "catalog-info.yaml").write_text(BROKEN_YAML)
    async with app_for(world) as app:
        built = await app.worlds.build()
        status = state_of(built.statuses, "catalog", "catalog")
        assert status.state is SourceState.DEGRADED
        assert status.detail is not None
        assert status.detail.startswith("1 of 10 files failed: catalog/payments/catalog-info.yaml: line 3: ")
        assert "mapping values are not allowed" in status.detail
        owner = await who_owns(app, "cart-service")  # from another file: still answered, with the caveat
        assert owner.service.name == "cart-service"
        degraded = "catalog source 'catalog' (backstage) is degraded"
        assert any(degraded in n and "some services" in n for n in owner.notes)


async def test_who_owns_a_service_in_the_broken_file_says_why_it_is_missing(world: Path) -> None:
    (world / "catalog" / "payments" / "catalog-info.yaml").write_text(BROKEN_YAML)
    async with app_for(world) as app:
        with pytest.raises(InputError) as info:
            await who_owns(app, "payment-service")
    message = str(info.value)
    assert message.startswith(
        "'payment-service' is not in the catalog, but catalog source 'catalog' (backstage) is degraded")
    assert "catalog/payments/catalog-info.yaml: line 3: mapping values are not allowed" in message
    assert "Did you mean" not in message


async def test_the_tool_error_over_mcp_carries_the_same_reason(world: Path) -> None:
    (world / "catalog" / "payments" / "catalog-info.yaml").write_text(BROKEN_YAML)
    settings = load(world / "opscontext.toml")
    async with Client(build_server(settings, cache=MemoryCache())) as client:
        result = await client.call_tool("who_owns", {"service": "payment-service"})
    assert result.is_error
    text = " ".join(getattr(c, "text", "") for c in result.content)
    assert "is not in the catalog, but catalog source 'catalog' (backstage) is degraded" in text


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 directory anyway; the next test covers root")
async def test_an_unreadable_catalog_directory_degrades_the_catalog(world: Path) -> None:
    orders = world / "catalog" / "orders"
    orders.chmod(0)
    try:
        async with app_for(world) as app:
            status = state_of((await app.hub.catalog()).statuses, "catalog")
    finally:
        orders.chmod(0o755)
    assert status.state is SourceState.DEGRADED
    assert "catalog/orders/: cannot be read: Permission denied" in (status.detail or "")


async def test_a_configured_directory_that_became_a_garbage_file_fails_with_the_reason(world: Path) -> None:
    shutil.rmtree(world / "runbooks")
    (world / "runbooks").write_bytes(b"\x00\xff\xfe garbage")
    async with app_for(world) as app:
        status = state_of((await app.hub.runbooks()).statuses, "runbooks")
    assert status.state is SourceState.FAILED
    assert "runbooks: not UTF-8 text" in (status.detail or "")


async def test_broken_runbook_front_matter_degrades_the_runbooks_naming_the_file(world: Path) -> None:
    (world / "runbooks" / "payment-service.md").write_text("---\nservices: [payment-service\n---\n# Payments\n")
    async with app_for(world) as app:
        got = await app.hub.runbooks()
    status = state_of(got.statuses, "runbooks")
    assert status.state is SourceState.DEGRADED
    assert "runbooks/payment-service.md: line " in (status.detail or "")
    assert got.items(), "the other runbooks are still served"


async def test_a_deleted_changes_file_fails_and_what_changed_never_says_nothing_changed(world: Path) -> None:
    (world / "changes" / "changes.jsonl").unlink()
    async with app_for(world) as app:
        answer = await what_changed(app, since="7d")
    status = state_of(answer.sources, "changes")
    assert status.state is SourceState.FAILED
    assert "no *.json or *.jsonl or *.ndjson files under" in (status.detail or "")
    assert answer.changes == []
    assert answer.notes[0].startswith("Change source 'changes' (cdevents) failed: no *.json")
    assert answer.notes[0].endswith("changes could not be read, so finding no changes is not evidence there are none.")


async def test_a_configured_changes_file_deleted_after_a_good_read_is_failed_not_ok(world: Path) -> None:
    toml = world / "opscontext.toml"
    toml.write_text(toml.read_text().replace('path = "changes"', 'path = "changes/changes.jsonl"'))
    async with app_for(world) as app:
        first = await app.hub.changes(WINDOW)
        (world / "changes" / "changes.jsonl").unlink()
        second = await app.hub.changes(WINDOW)
    assert state_of(first.statuses, "changes").state is SourceState.OK
    assert state_of(second.statuses, "changes").state is SourceState.FAILED
    assert "does not exist" in (state_of(second.statuses, "changes").detail or "")


async def test_correlation_over_garbage_alerts_says_the_source_failed_not_no_alerts(world: Path) -> None:
    for snapshot in (world / "alerts").iterdir():
        snapshot.write_text('{"not": "an array"')
    async with app_for(world) as app:
        answer = await correlate_alerts(app)
    assert state_of(answer.sources, "alerts").state is SourceState.FAILED
    assert "No alerts in the window" not in answer.explanation
    assert answer.explanation.startswith("Alert source 'alerts' (alertmanager) failed: no file could be used")
    assert "alerts could not be read" in answer.explanation


async def test_doctor_reports_a_degraded_source_with_the_file_and_reason(world: Path) -> None:
    (world / "catalog" / "payments" / "catalog-info.yaml").write_text(BROKEN_YAML)
    async with app_for(world) as app:
        results = {r.instance: r for r in await run_checks(app)}
    catalog = results["catalog"]
    assert (catalog.ok, catalog.state) == (False, SourceState.DEGRADED)
    assert "catalog/payments/catalog-info.yaml: line 3" in catalog.detail
    assert results["alerts"].state is SourceState.OK


class Config(ConnectorConfig):
    pass


class PartlyBroken:
    """A cacheable runbook source whose every load left one file out."""

    calls = 0

    def __init__(self, ctx: ConnectorContext):
        self.name = ctx.name

    def problems(self) -> LoadReport:
        return LoadReport(3, (Problem("books/bad.md", "line 2: found unexpected end of stream"),))

    async def runbooks(self) -> list[Any]:
        type(self).calls += 1
        return []


async def test_a_degraded_load_served_from_the_cache_is_still_degraded() -> None:
    spec = ConnectorSpec(type="partly", summary="test", config_model=Config, factory=PartlyBroken, cacheable=True)
    registry = Registry.build({"books": {"type": "partly"}}, specs={"partly": spec})
    hub = Hub(registry, Settings(), MemoryCache(), clock=lambda: ANCHOR)
    first, second = await hub.runbooks(), await hub.runbooks()
    assert PartlyBroken.calls == 1, "the second answer came from the cache"
    for got in (first, second):
        (status,) = got.statuses
        assert status.state is SourceState.DEGRADED
        assert status.detail == "1 of 3 files failed: books/bad.md: line 2: found unexpected end of stream"
        assert got.items() == []


def test_a_long_list_of_problems_is_capped_naming_the_first_few_and_counting_the_rest() -> None:
    problems = tuple(Problem(f"catalog/t{i}/catalog-info.yaml", "line 1: " + "x" * 300) for i in range(50))
    report = LoadReport(60, problems)
    detail = report.summary()
    assert len(detail) <= 600
    assert detail.startswith("50 of 60 files failed: catalog/t0/catalog-info.yaml: line 1: x")
    assert detail.endswith("(and 47 more)")
