"""The `alertmanager` file connector reads saved GET /api/v2/alerts answers."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opscontext.errors import SourceDataError, SourceUnavailableError
from opscontext.models import Alert, AlertState, TimeWindow
from opscontext.registry import ConnectorContext
from opscontext_connectors.alertmanager import AlertmanagerFile
from opscontext_connectors.alertmanager.config import AlertmanagerFileConfig
from opscontext_connectors.alertmanager.labels import fingerprint

pytestmark = pytest.mark.anyio

WHOLE_DAY = TimeWindow(
    since=datetime(2025, 3, 14, tzinfo=UTC), until=datetime(2025, 3, 15, tzinfo=UTC)
)


def at(hh_mm: str) -> datetime:
    hour, minute = hh_mm.split(":")
    return datetime(2025, 3, 14, int(hour), int(minute), tzinfo=UTC)


def build(path: Path, **extra: object) -> AlertmanagerFile:
    config = AlertmanagerFileConfig.model_validate({"type": "alertmanager", "path": path, **extra})
    return AlertmanagerFile(ConnectorContext(name="am-files", config=config))


async def read(path: Path, window: TimeWindow = WHOLE_DAY, **extra: object) -> list[Alert]:
    connector = build(path, **extra)
    return await connector.alerts(window)


async def test_one_file_maps_labels_annotations_and_state(fixtures_dir: Path) -> None:
    alerts = {a.alertname: a for a in await read(fixtures_dir / "http/alertmanager/alerts.json")}
    assert set(alerts) == {
        "HighErrorRate",
        "KubePodCrashLooping",
        "PostgresReplicationLag",
        "TargetDown",
    }
    high = alerts["HighErrorRate"]
    assert (high.service, high.severity, high.state) == (
        "payments-api",
        "critical",
        AlertState.ACTIVE,
    )
    assert high.summary == "payments-api 5xx ratio above 5%"
    assert high.fingerprint == fingerprint(high.labels)
    assert (
        high.source == "am-files"
        and high.generator_url
        and high.generator_url.startswith("https://")
    )
    assert high.starts_at == datetime(2025, 3, 14, 9, 12, 30, tzinfo=UTC)


async def test_service_falls_back_through_the_label_list_and_summary_through_annotations(
    fixtures_dir: Path,
) -> None:
    alerts = {a.alertname: a for a in await read(fixtures_dir / "http/alertmanager/alerts.json")}
    crash = alerts["KubePodCrashLooping"]  # no `service`, `app_kubernetes_io_name` wins over `job`
    assert crash.service == "ledger-worker"
    assert crash.summary is not None and crash.summary.startswith("Pod payments/")  # description
    lag = alerts["PostgresReplicationLag"]
    assert lag.service == "postgres-exporter"  # only `job`
    assert lag.summary == "Replica pg-payments-1 is 48s behind the primary."  # message
    assert alerts["TargetDown"].summary is None


async def test_silenced_and_inhibited_alerts_are_suppressed_and_unprocessed_stays_so(
    fixtures_dir: Path,
) -> None:
    states = {
        a.alertname: a.state for a in await read(fixtures_dir / "http/alertmanager/alerts.json")
    }
    assert states["KubePodCrashLooping"] is AlertState.SUPPRESSED
    assert states["PostgresReplicationLag"] is AlertState.SUPPRESSED
    assert states["TargetDown"] is AlertState.UNPROCESSED


async def test_configured_service_labels_replace_the_defaults(fixtures_dir: Path) -> None:
    alerts = await read(
        fixtures_dir / "http/alertmanager/alerts.json", service_labels=["namespace"]
    )
    by_name = {a.alertname: a.service for a in alerts}
    assert by_name["HighErrorRate"] == "payments" and by_name["PostgresReplicationLag"] is None


async def test_snapshots_keep_each_firing_of_a_flapping_alert_and_collapse_repeats(
    fixtures_dir: Path,
) -> None:
    alerts = await read(fixtures_dir / "http/alertmanager/snapshots")
    flapping = sorted(
        (a for a in alerts if a.alertname == "CheckoutLatencyHigh"), key=lambda a: a.starts_at
    )
    assert [a.starts_at for a in flapping] == [at("08:40"), at("08:58")]
    assert len({a.fingerprint for a in flapping}) == 1
    # The 08:40 firing was seen twice; the later snapshot (resolved at 08:45:30) wins.
    assert flapping[0].state is AlertState.RESOLVED
    assert flapping[0].ends_at == datetime(2025, 3, 14, 8, 45, 30, tzinfo=UTC)
    steady = [a for a in alerts if a.alertname == "HighErrorRate"]
    assert len(steady) == 1 and steady[0].updated_at == at("09:02")


async def test_only_alerts_active_during_the_window_are_returned(fixtures_dir: Path) -> None:
    window = TimeWindow(since=at("08:46"), until=at("08:55"))
    alerts = await read(fixtures_dir / "http/alertmanager/snapshots", window)
    assert [(a.alertname, a.starts_at) for a in alerts] == [("HighErrorRate", at("08:30"))]


async def test_malformed_entries_are_skipped_and_the_rest_kept(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    good = json.loads((fixtures_dir / "http/alertmanager/alerts.json").read_text())
    (tmp_path / "snap.json").write_text(
        json.dumps([{"labels": "oops"}, {"startsAt": "x"}, good[0]])
    )
    alerts = await read(tmp_path)
    assert [a.alertname for a in alerts] == ["HighErrorRate"]


async def test_a_file_that_is_not_an_array_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "snap.json").write_text(json.dumps({"data": []}))
    with pytest.raises(SourceDataError, match="JSON array"):
        await read(tmp_path)


async def test_broken_json_is_a_data_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("[{")
    with pytest.raises(SourceDataError, match=r"broken\.json") as info:
        await read(tmp_path)
    assert info.value.instance == "am-files"


async def test_a_missing_path_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailableError):
        await read(tmp_path / "nowhere")


async def test_edits_are_picked_up_without_rebuilding(tmp_path: Path, fixtures_dir: Path) -> None:
    shutil.copy(
        fixtures_dir / "http/alertmanager/snapshots/2025-03-14T08-44.json", tmp_path / "a.json"
    )
    connector = build(tmp_path)
    before = await connector.alerts(WHOLE_DAY)
    shutil.copy(fixtures_dir / "http/alertmanager/alerts.json", tmp_path / "b.json")
    after = await connector.alerts(WHOLE_DAY)
    assert len(before) == 2 and len(after) == 6


async def test_check_reports_how_many_alerts_it_can_read_and_when_they_start(fixtures_dir: Path) -> None:
    connector = build(fixtures_dir / "http/alertmanager/alerts.json")
    said = await connector.check()
    alerts = await connector.alerts_snapshot()
    first, last = min(a.starts_at for a in alerts), max(a.starts_at for a in alerts)
    # a recording keeps its own times: doctor says which window holds them
    assert said.startswith(f"4 alerts starting {first:%Y-%m-%d %H:%M}Z to {last:%Y-%m-%d %H:%M}Z, readable under")


def test_unknown_config_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="servce_labels"):
        AlertmanagerFileConfig.model_validate(
            {"type": "alertmanager", "path": "x", "servce_labels": ["a"]}
        )


async def test_a_snapshot_whose_json_breaks_after_good_entries_is_left_out_whole(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    good = (fixtures_dir / "http/alertmanager/alerts.json").read_text()
    shutil.copy(fixtures_dir / "http/alertmanager/snapshots/2025-03-14T08-44.json", tmp_path / "a.json")
    # Entries are decoded one at a time; the ones before the fault must not leak into the answer.
    (tmp_path / "b.json").write_text(good.rstrip().rstrip("]") + ", {\"labels\": ]")
    connector = build(tmp_path)
    alerts = await connector.alerts(WHOLE_DAY)
    assert len(alerts) == 2  # a.json only
    report = connector.problems()
    assert [p.where.rsplit("/", 1)[-1] for p in report.problems] == ["b.json"]
    assert "Expecting value" in report.problems[0].reason


async def test_equal_label_strings_of_one_load_are_one_object(fixtures_dir: Path) -> None:
    alerts = await read(fixtures_dir / "http/alertmanager/snapshots")  # three files, one load
    by_text: dict[str, set[int]] = {}
    for a in alerts:
        for key, value in a.labels.items():
            by_text.setdefault(key, set()).add(id(key))
            by_text.setdefault(value, set()).add(id(value))
    repeated = [text for text, ids in by_text.items() if sum(text in a.labels for a in alerts) > 1]
    assert "alertname" in repeated
    assert all(len(by_text[text]) == 1 for text in repeated)


# Webhook recordings: Alertmanager's webhook_config payload (version 4) and Grafana's copy of it.
GO_ZERO = "0001-01-01T00:00:00Z"


def webhook_alert(name: str, starts: str, status: str = "firing", ends: str = GO_ZERO) -> dict[str, object]:
    return {
        "status": status,
        "labels": {"alertname": name, "service": "checkout", "severity": "critical"},
        "annotations": {"summary": f"{name} on checkout"},
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus.example:9090/graph",
        "fingerprint": f"fp-{name}",
    }


def notification(*alerts: dict[str, object], status: str = "firing") -> dict[str, object]:
    return {
        "receiver": "recorder",
        "status": status,
        "alerts": list(alerts),
        "groupLabels": {"alertname": "x"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "version": "4",
        "groupKey": '{}:{alertname="x"}',
        "truncatedAlerts": 0,
    }


async def test_a_webhook_notification_file_is_read_and_a_firing_alerts_zero_end_is_no_end(tmp_path: Path) -> None:
    (tmp_path / "hook.json").write_text(json.dumps(notification(
        webhook_alert("HighErrorRate", "2025-03-14T10:00:00Z"),
        webhook_alert("HighLatency", "2025-03-14T09:00:00+01:00", "resolved", "2025-03-14T08:30:00Z"),
    )))
    alerts = {a.alertname: a for a in await read(tmp_path)}
    firing, resolved = alerts["HighErrorRate"], alerts["HighLatency"]
    assert (firing.state, firing.ends_at, firing.service) == (AlertState.ACTIVE, None, "checkout")
    assert resolved.state == AlertState.RESOLVED
    assert resolved.ends_at == datetime(2025, 3, 14, 8, 30, tzinfo=UTC)
    # Firing since 10:00 with no end: inside a later window too, not "resolved in year 1".
    later = TimeWindow(since=at("12:00"), until=at("13:00"))
    assert [a.alertname for a in await read(tmp_path, later)] == ["HighErrorRate"]


async def test_recorded_notifications_keep_an_alerts_resolution_over_its_firing_entry(tmp_path: Path) -> None:
    (tmp_path / "recorded.json").write_text(json.dumps([
        notification(webhook_alert("HighErrorRate", "2025-03-14T10:00:00Z")),
        notification(webhook_alert("HighErrorRate", "2025-03-14T10:00:00Z", "resolved", "2025-03-14T10:20:00Z"),
                     status="resolved"),
    ]))
    alerts = await read(tmp_path)
    assert [(a.alertname, a.state, a.ends_at) for a in alerts] == [
        ("HighErrorRate", AlertState.RESOLVED, datetime(2025, 3, 14, 10, 20, tzinfo=UTC))
    ]
    assert await read(tmp_path, TimeWindow(since=at("10:30"), until=at("11:00"))) == []


async def test_an_api_snapshot_carrying_go_zero_times_keeps_its_alerts_firing(tmp_path: Path) -> None:
    (tmp_path / "snap.json").write_text(json.dumps([{
        "labels": {"alertname": "HighErrorRate", "service": "checkout"},
        "startsAt": "2025-03-14T10:00:00",  # naive: read as UTC
        "endsAt": GO_ZERO,
        "updatedAt": "2025-03-14T10:05:00Z",
        "status": {"state": "active"},
    }]))
    (alert,) = await read(tmp_path, TimeWindow(since=at("11:00"), until=at("12:00")))
    assert (alert.state, alert.ends_at) == (AlertState.ACTIVE, None)


async def test_a_notification_with_malformed_alerts_keeps_the_good_ones_and_says_how_many(tmp_path: Path) -> None:
    (tmp_path / "hook.json").write_text(json.dumps(notification(
        webhook_alert("HighErrorRate", "2025-03-14T10:00:00Z"), {"status": "firing", "labels": {}},
    )))
    connector = build(tmp_path)
    assert [a.alertname for a in await connector.alerts(WHOLE_DAY)] == ["HighErrorRate"]
    assert "1 of 2 alert entries malformed" in str(connector.problems())


# A saved Prometheus GET /api/v1/alerts answer: what its rules hand to Alertmanager.
def prometheus_answer(*alerts: object, status: str = "success") -> dict[str, object]:
    return {"status": status, "data": {"alerts": list(alerts)}}


def rule_alert(name: str, active_at: str, state: str = "firing") -> dict[str, object]:
    return {"labels": {"alertname": name, "service": "checkout", "severity": "critical"},
            "annotations": {"summary": f"{name} on checkout"}, "state": state, "activeAt": active_at,
            "value": "1e+00"}


async def test_a_prometheus_alerts_answer_is_read_as_alertmanager_will_know_its_firing_alerts(
    tmp_path: Path,
) -> None:
    (tmp_path / "prom.json").write_text(json.dumps(prometheus_answer(
        rule_alert("HighErrorRate", "2025-03-14T10:00:00.123Z"),
        rule_alert("HighLatency", "2025-03-14T10:02:00Z", state="pending"),  # its for: has not elapsed
    )))
    (alert,) = await read(tmp_path)
    assert (alert.alertname, alert.service, alert.severity, alert.state) == (
        "HighErrorRate", "checkout", "critical", AlertState.ACTIVE)
    assert alert.starts_at == datetime(2025, 3, 14, 10, 0, 0, 123000, tzinfo=UTC)
    assert alert.fingerprint == fingerprint(alert.labels)  # Alertmanager's id for the same alert
    assert alert.summary == "HighErrorRate on checkout" and alert.ends_at is None


async def test_a_prometheus_answer_with_malformed_entries_keeps_the_good_ones_and_says_how_many(
    tmp_path: Path,
) -> None:
    (tmp_path / "prom.json").write_text(json.dumps(prometheus_answer(
        rule_alert("HighErrorRate", "2025-03-14T10:00:00Z"), {"labels": {"alertname": 3}, "activeAt": "x"},
        {"state": "firing"},
    )))
    connector = build(tmp_path)
    assert [a.alertname for a in await connector.alerts(WHOLE_DAY)] == ["HighErrorRate"]
    assert "2 of 3 alert entries malformed" in str(connector.problems())


@pytest.mark.parametrize(("answer", "says"), [
    (prometheus_answer(status="error") | {"error": "query timed out"}, "status 'error'"),
    ({"status": "success", "data": {"groups": []}}, "without data.alerts"),
])
async def test_a_prometheus_answer_that_is_no_alert_list_is_refused_with_what_it_is(
    tmp_path: Path, answer: dict[str, object], says: str,
) -> None:
    (tmp_path / "prom.json").write_text(json.dumps(answer))
    connector = build(tmp_path)
    with pytest.raises((SourceDataError, SourceUnavailableError)) as info:
        await connector.alerts(WHOLE_DAY)
    assert says in str(info.value)


async def test_a_numeric_start_is_malformed_and_a_time_without_offset_is_utc(tmp_path: Path) -> None:
    """12345 read as seconds since 1970 made an alert no window held; the same alert written
    with and without Z was two alerts."""
    base = {"labels": {"alertname": "HighErrorRate", "service": "api"}, "status": {"state": "active"}}
    entries = [
        {**base, "startsAt": 12345},
        {**base, "startsAt": "2025-03-14T10:00:00Z", "updatedAt": "2025-03-14T10:01:00Z"},
        {**base, "startsAt": "2025-03-14T10:00:00", "updatedAt": "2025-03-14T10:02:00"},
    ]
    (tmp_path / "a.json").write_text(json.dumps(entries))
    connector = build(tmp_path)
    alerts = await connector.alerts(WHOLE_DAY)
    assert [(a.alertname, a.starts_at) for a in alerts] == [("HighErrorRate", at("10:00"))]
    assert "1 of 3 alert entries malformed and left out" in connector.problems().summary()
