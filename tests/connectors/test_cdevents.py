from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import opscontext_connectors.cdevents as cdevents
from opscontext.capabilities import capabilities_of
from opscontext.errors import SourceDataError, SourceUnavailableError
from opscontext.models import Change, TimeWindow
from opscontext.registry import ConnectorContext
from opscontext_connectors.cdevents.connector import CdEvents, CdEventsConfig
from opscontext_connectors.cdevents.mapping import parse_purl

pytestmark = pytest.mark.anyio

DATA = Path(__file__).parent / "data" / "cdevents"
ALL_TIME = TimeWindow(
    since=datetime(2000, 1, 1, tzinfo=UTC), until=datetime(2100, 1, 1, tzinfo=UTC)
)
REPOS = {"example/payments-api-server": "payment-service"}


def make(path: Path, **extra: Any) -> CdEvents:
    config = CdEventsConfig.model_validate({"type": "cdevents", "path": path, **extra})
    return CdEvents(ConnectorContext(name="deploys", config=config))


def by_id(changes: list[Change]) -> dict[str, Change]:
    return {c.id: c for c in changes}


def event(n: int, *, at: str = "2024-05-14T12:00:00Z", service: str = "service/api") -> str:
    return json.dumps(
        {
            "context": {
                "version": "0.4.1",
                "id": f"evt-{n}",
                "source": "/ci",
                "type": "dev.cdevents.service.deployed.0.2.0",
                "timestamp": at,
            },
            "subject": {"id": service, "content": {"environment": {"id": "prod"}}},
        }
    )


@pytest.fixture
def events_dir(tmp_path: Path) -> Path:
    shutil.copytree(DATA, tmp_path / "events")
    return tmp_path / "events"


def test_cdevents_is_a_change_source_read_from_files() -> None:
    assert capabilities_of(cdevents.spec.factory) == ["changes"]
    assert cdevents.spec.cacheable is False


async def test_service_events_map_to_kinds_versions_environments_and_sentences() -> None:
    changes = by_id(await make(DATA).changes(ALL_TIME))
    deployed = changes["9f1c2a8e-0001-4d3b-9a51-2f0e5c1d7a01"]
    assert (deployed.kind, deployed.service, deployed.version, deployed.environment) == (
        "deployment",
        "payment-service",
        "2.14.0",
        "production",
    )
    assert deployed.summary == "deployed payment-service 2.14.0 to production"
    assert deployed.author == "alice"
    assert deployed.link == "https://github.com/example/payments-api-server/releases/tag/v2.14.0"
    assert deployed.at == datetime(2024, 5, 14, 9, 12, 3, tzinfo=UTC)
    assert deployed.source == "deploys"
    kinds = {c.id[-2:]: (c.kind, c.summary) for c in changes.values() if c.id.startswith("9f1c")}
    assert kinds == {
        "01": ("deployment", "deployed payment-service 2.14.0 to production"),
        "02": ("upgrade", "upgraded checkout-web to 5.3.1 in production"),
        "03": ("rollback", "rolled back payment-service to 2.13.2 in production"),
        "05": ("removal", "removed legacy-billing from staging"),
        "06": ("published", "published payment-service in production"),
    }


async def test_spec_versions_from_0_3_to_0_5_are_all_read() -> None:
    changes = by_id(await make(DATA).changes(ALL_TIME))
    # 0.3 uses context.version and subject.type; 0.5 uses specversion and drops subject.type.
    assert changes["9f1c2a8e-0002-4d3b-9a51-2f0e5c1d7a02"].service == "checkout-web"
    rollback = changes["9f1c2a8e-0003-4d3b-9a51-2f0e5c1d7a03"]
    assert (rollback.service, rollback.author) == ("payment-service", "bob")
    # No URL in customData: the context source is a URL, so it is the link.
    assert rollback.link == "https://argocd.example.com/applications/payment-service"


async def test_unknown_types_and_duplicate_deliveries_are_skipped() -> None:
    changes = await make(DATA).changes(ALL_TIME)
    ids = [c.id for c in changes]
    assert "9f1c2a8e-0004-4d3b-9a51-2f0e5c1d7a04" not in ids  # pipelinerun.finished
    assert len(ids) == len(set(ids)) == 10


async def test_merges_are_attributed_through_the_repositories_table() -> None:
    changes = by_id(await make(DATA, repositories=REPOS).changes(ALL_TIME))
    merged = changes["4b6e3a10-0001-44e8-a2b0-6b8f4f2c9d01"]
    # The event spells the repository in another case than the table: still matched.
    assert (merged.kind, merged.service, merged.author) == ("merge", "payment-service", "alice")
    assert merged.summary == (
        "merged change pull/1287 into Example/Payments-API-Server: "
        "Retry card authorisation on gateway timeouts"
    )
    unlisted = changes["4b6e3a10-0002-44e8-a2b0-6b8f4f2c9d02"]
    assert unlisted.service == "search-indexer"


async def test_without_a_table_merges_carry_the_repository_name() -> None:
    changes = by_id(await make(DATA).changes(ALL_TIME))
    assert changes["4b6e3a10-0001-44e8-a2b0-6b8f4f2c9d01"].service == "Payments-API-Server"


async def test_environment_artifact_and_incident_events_map() -> None:
    changes = by_id(await make(DATA).changes(ALL_TIME))
    env = changes["4b6e3a10-0003-44e8-a2b0-6b8f4f2c9d03"]
    assert (env.kind, env.service, env.environment) == ("environment", None, "production")
    assert env.link == "https://console.example.com/envs/production"
    artifact = changes["4b6e3a10-0004-44e8-a2b0-6b8f4f2c9d04"]
    assert (artifact.kind, artifact.service, artifact.author) == (
        "artifact",
        "payment-service",
        "ci-bot",
    )
    assert (
        artifact.version
        == "sha256:0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427"
    )
    assert artifact.summary == "published artifact payment-service sha256:0b31b1c02ff4"
    incident = changes["F4BD2B55-B6F6-4F44-AF72-BD2D0E7A8708"]
    assert (incident.kind, incident.service, incident.environment) == (
        "incident",
        "payment-service",
        "production",
    )
    assert incident.summary == (
        "incident reported on payment-service in production: Card authorisation error rate above 5%"
    )
    assert incident.link == "https://tickets.example.com/incidents/2291"


async def test_only_changes_inside_the_window_are_returned() -> None:
    window = TimeWindow(
        since=datetime(2024, 5, 14, 9, 0, tzinfo=UTC),
        until=datetime(2024, 5, 14, 10, 0, tzinfo=UTC),
    )
    changes = await make(DATA).changes(window)
    assert [c.at for c in changes] == sorted(c.at for c in changes)
    assert {c.kind for c in changes} == {"deployment", "published", "incident"}
    assert all(window.contains(c.at) for c in changes)


async def test_check_reports_events_changes_when_and_skipped_records() -> None:
    connector = make(DATA)
    said = await connector.check()
    ats = [c.at for c in await connector.changes_snapshot()]
    assert said == (f"3 files: 12 events, 10 changes from {min(ats):%Y-%m-%d %H:%M}Z to {max(ats):%Y-%m-%d %H:%M}Z; "
                    "skipped 2 invalid records")


async def test_a_single_json_lines_file_can_be_the_path() -> None:
    changes = await make(DATA / "deploys.jsonl").changes(ALL_TIME)
    assert len(changes) == 5


async def test_ndjson_files_and_edits_are_picked_up_without_rebuilding(tmp_path: Path) -> None:
    path = tmp_path / "stream.ndjson"
    path.write_text(event(1) + "\n")
    connector = make(tmp_path)
    assert [c.id for c in await connector.changes(ALL_TIME)] == ["evt-1"]
    path.write_text(event(1) + "\n" + event(2, at="2024-05-14T12:30:00+02:00") + "\n")
    changes = await connector.changes(ALL_TIME)
    assert [c.id for c in changes] == ["evt-2", "evt-1"]  # 10:30 UTC sorts first
    assert changes[0].at == datetime(2024, 5, 14, 10, 30, tzinfo=UTC)


async def test_a_missing_path_is_reported_unavailable(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailableError) as info:
        await make(tmp_path / "absent").changes(ALL_TIME)
    assert info.value.instance == "deploys"


async def test_a_json_file_that_is_not_json_is_left_out_and_reported_while_the_rest_is_served(
    events_dir: Path,
) -> None:
    # Was a data error for the whole source; now the other files still answer, and it is named.
    (events_dir / "broken.json").write_text('{"context": {"id": ')
    connector = make(events_dir)
    assert await connector.changes(ALL_TIME)
    assert "broken.json: line 1: Expecting value" in connector.problems().summary()


async def test_a_lines_file_without_one_readable_event_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "garbage.jsonl").write_text('not json\n{"also": "not an event"}\n')
    with pytest.raises(SourceDataError, match=r"garbage\.jsonl"):
        await make(tmp_path).changes(ALL_TIME)


async def test_an_empty_directory_is_a_data_error_not_an_answer_of_no_changes(tmp_path: Path) -> None:
    # Was "no changes": a deleted changes file must never read as "nothing changed".
    with pytest.raises(SourceDataError, match=r"no \*\.json or \*\.jsonl or \*\.ndjson files"):
        await make(tmp_path).changes(ALL_TIME)


@pytest.mark.parametrize(
    ("purl", "expected"),
    [
        ("pkg:oci/myapp@sha256%3A0b31", ("myapp", "sha256:0b31")),
        ("pkg:golang/mygit.com/myorg/myapp@234fd47e", ("myapp", "234fd47e")),
        ("pkg:npm/%40example/web@5.3.1?arch=x64#dist", ("web", "5.3.1")),
        ("pkg:maven/org.example/ledger", ("ledger", None)),
        ("six-1.14.0-py2.py3-none-any.whl", (None, None)),
    ],
)
def test_package_urls_yield_name_and_version(
    purl: str, expected: tuple[str | None, str | None]
) -> None:
    assert parse_purl(purl) == expected


def test_custom_data_service_names_the_service_an_environment_change_touched() -> None:
    from opscontext_connectors.cdevents.mapping import to_change
    from opscontext_connectors.cdevents.wire import CDEvent

    event = CDEvent.model_validate({
        "context": {"version": "0.3.0", "id": "e1", "source": "https://atlantis.example",
                    "type": "dev.cdevents.environment.modified.0.1.1", "timestamp": "2026-03-10T08:48:00Z"},
        "subject": {"id": "prod-data", "type": "environment", "content": {"name": "prod-data"}},
        "customData": {"service": "orders-db", "summary": "Pause CDC connector orders-cdc"},
    })
    change = to_change(event, source="changes", repositories={})
    assert change is not None
    assert change.service == "orders-db"
    assert change.summary == "modified environment prod-data: Pause CDC connector orders-cdc"


async def test_an_appended_file_is_read_alone_and_the_others_changes_are_reused_not_their_events(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.jsonl").write_text(event(1) + "\n" + event(2, at="2024-05-14T12:05:00Z") + "\n")
    (tmp_path / "b.jsonl").write_text(event(3, at="2024-05-14T12:10:00Z") + "\n")
    connector = make(tmp_path)
    before = by_id(await connector.changes(ALL_TIME))
    (tmp_path / "b.jsonl").write_text(
        event(3, at="2024-05-14T12:10:00Z") + "\n" + event(4, at="2024-05-14T12:15:00Z") + "\n"
    )
    after = by_id(await connector.changes(ALL_TIME))
    assert sorted(after) == ["evt-1", "evt-2", "evt-3", "evt-4"]
    assert connector._files.parsed == 1  # b.jsonl only
    assert after["evt-1"] is before["evt-1"] and after["evt-2"] is before["evt-2"]
    assert "2 files: 4 events, 4 changes" in await connector.check()
    # What is kept per file for the next load is the mapped changes, never wire events.
    kept = [item for found, *_ in connector._files._reads.values() for item in found]
    assert kept and all(isinstance(item, Change) for item in kept)
