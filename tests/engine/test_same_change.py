"""One deploy reported by GitHub, PagerDuty, ServiceNow, Dynatrace and CDEvents is one change.

Each report is made by the vendor's own connector mapping from a payload in the vendor's shape
(the recorded fixtures, re-timed to one deploy of payment-service 4.2.0 at 14:10 UTC). ServiceNow
names the CI by its display name; the core resolves it to the catalog name before merging, which
the tests stand in for by naming the service as resolution would.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from opscontext.engine.samechange import merge_reports, same_version, version_key
from opscontext.models import Change
from opscontext_connectors.cdevents.mapping import to_change as cdevent_change
from opscontext_connectors.cdevents.wire import CDEvent
from opscontext_connectors.dynatrace.mapping import to_change as dynatrace_change
from opscontext_connectors.dynatrace.wire import DTEvent
from opscontext_connectors.github.mapping import deployment as github_deployment
from opscontext_connectors.github.mapping import release as github_release
from opscontext_connectors.github.wire import Deployment, DeploymentStatus, Release
from opscontext_connectors.pagerduty.events import to_change as pagerduty_change
from opscontext_connectors.pagerduty.wire import PDChangeEvent
from opscontext_connectors.servicenow.mapping import change as servicenow_change
from opscontext_connectors.servicenow.wire import ChangeRecord

HTTP = Path(__file__).resolve().parents[2] / "fixtures" / "http"
DEPLOYED = datetime(2026, 3, 10, 14, 10, tzinfo=UTC)
SERVICE = "payment-service"


def recorded(vendor: str, name: str) -> Any:
    return json.loads((HTTP / vendor / name).read_text())


def github(at: datetime = DEPLOYED, ref: str = "v4.2.0", env: str = "production") -> Change:
    raw = recorded("github", "deployments.page1.json")[0]
    raw = raw | {"ref": ref, "environment": env, "created_at": at.isoformat()}
    status = DeploymentStatus.model_validate(recorded("github", "deployment-1450003-statuses.json")[0])
    return github_deployment(
        Deployment.model_validate(raw), status, repo="acme/payment-service", service=SERVICE,
        web_root="https://github.com", source="github",
    )


def pagerduty(at: datetime = DEPLOYED + timedelta(seconds=40), version: str | None = "v4.2.0") -> Change:
    raw = recorded("pagerduty", "change_events.json")["change_events"][0]
    raw = raw | {"summary": "Deploy payment-service", "timestamp": at.isoformat()}
    raw["services"] = [raw["services"][0] | {"summary": SERVICE}]
    raw["custom_details"] = {"author": "ana.mueller", "environment": "production"} | (
        {"version": version} if version else {}
    )
    return pagerduty_change(PDChangeEvent.model_validate(raw), "pagerduty")


UPGRADE = "Upgrade payment-service to 4.2.0"


def servicenow(at: datetime = DEPLOYED - timedelta(minutes=5), title: str = UPGRADE) -> Change:
    raw = recorded("servicenow", "change_request.page1.json")["result"][0]
    stamp = at.strftime("%Y-%m-%d %H:%M:%S")  # sysparm_display_value=all: `value` is UTC
    raw = raw | {"short_description": {"value": title, "display_value": title}}
    raw = raw | {"work_start": {"value": stamp, "display_value": stamp}}
    record = ChangeRecord.model_validate(raw)
    found = servicenow_change(record, base_url="https://acme.service-now.com", source="servicenow")
    assert found is not None and found.service == "Payment Service"  # the CI's display name
    return found.model_copy(update={"service": SERVICE})  # as the catalog resolves it


def dynatrace(at: datetime = DEPLOYED + timedelta(minutes=1), version: str = "4.2.0") -> Change:
    raw = recorded("dynatrace", "events.json")["events"][0]
    raw = raw | {"startTime": int(at.timestamp() * 1000), "title": "Deploy payment-service"}
    raw["entityId"] = raw["entityId"] | {"name": SERVICE}
    raw["properties"] = [
        {"key": "dt.event.deployment.version", "value": version},
        {"key": "dt.event.deployment.release_stage", "value": "production"},
    ]
    return dynatrace_change(DTEvent.model_validate(raw), "dynatrace")


def cdevents(at: datetime = DEPLOYED + timedelta(seconds=5), version: str = "4.2.0") -> Change:
    event = {
        "context": {
            "version": "0.4.1", "id": f"cd-{at.timestamp():.0f}", "source": "https://argocd.acme.example",
            "type": "dev.cdevents.service.deployed.0.2.0", "timestamp": at.isoformat(),
        },
        "subject": {
            "id": SERVICE, "type": "service", "source": "https://argocd.acme.example",
            "content": {"environment": {"id": "prod-eu-west-1"}, "artifactId": f"pkg:oci/{SERVICE}@{version}"},
        },
    }
    found = cdevent_change(CDEvent.model_validate(event), source="cdevents", repositories={})
    assert found is not None
    return found


def test_one_deploy_reported_by_five_sources_is_one_change_listing_them_all() -> None:
    reports = [pagerduty(), dynatrace(), servicenow(), cdevents(), github()]
    (merged,) = merge_reports(reports)
    assert merged.change.source == "github"  # a deployment with a version, the earliest of those
    assert merged.sources == ["github", "servicenow", "cdevents", "pagerduty", "dynatrace"]
    assert {r.kind for r in merged.reports} == {"deployment", "change"}


def test_a_staging_deploy_of_the_same_version_stays_its_own_change() -> None:
    merged = merge_reports([github(), github(DEPLOYED - timedelta(minutes=20), env="staging"), dynatrace()])
    assert sorted(m.sources for m in merged) == [["github"], ["github", "dynatrace"]]


def test_the_same_version_deployed_twice_in_a_day_is_two_changes_each_with_its_own_reports() -> None:
    later = DEPLOYED + timedelta(hours=3)
    reports = [github(), dynatrace(), github(later), dynatrace(later + timedelta(seconds=30)), pagerduty(later)]
    merged = merge_reports(reports)
    assert [(m.change.at, m.sources) for m in merged] == [
        (DEPLOYED, ["github", "dynatrace"]),
        (later, ["github", "pagerduty", "dynatrace"]),
    ]


def test_different_versions_are_different_changes_however_close_in_time() -> None:
    merged = merge_reports([github(ref="v4.2.0"), dynatrace(DEPLOYED, version="4.2.1")])
    assert len(merged) == 2


def test_without_versions_reports_within_two_minutes_are_one_change_and_later_ones_are_not() -> None:
    rotate = "Rotate ledger credentials"
    near = merge_reports([pagerduty(version=None), servicenow(DEPLOYED + timedelta(seconds=100), rotate)])
    assert len(near) == 1
    far = merge_reports([pagerduty(version=None), servicenow(DEPLOYED + timedelta(minutes=3), rotate)])
    assert len(far) == 2


def test_a_version_named_in_a_change_request_title_matches_within_the_hour() -> None:
    merged = merge_reports([github(), servicenow(DEPLOYED - timedelta(minutes=50))])
    assert len(merged) == 1
    stale = merge_reports([github(), servicenow(DEPLOYED - timedelta(minutes=70))])
    assert len(stale) == 2
    other = merge_reports([github(), servicenow(DEPLOYED, "Upgrade payment-service to 4.2.05")])
    assert len(other) == 1  # 4.2.05 is not 4.2.0, but with no version of its own the 2-minute rule holds
    assert len(merge_reports([github(), servicenow(DEPLOYED - timedelta(minutes=5), "Upgrade to 4.2.05")])) == 2


def test_a_release_is_never_the_deployment_of_it() -> None:
    raw = recorded("github", "releases.page1.json")[0]
    raw = raw | {"tag_name": "v4.2.0", "published_at": DEPLOYED.isoformat()}
    release = github_release(
        Release.model_validate(raw), repo="acme/payment-service", service=SERVICE, web_root="https://github.com",
        source="github-releases",
    )
    assert release.version == "v4.2.0"
    assert len(merge_reports([release, dynatrace(DEPLOYED)])) == 2


def test_one_source_never_merges_its_own_records_and_unknown_services_never_merge() -> None:
    assert len(merge_reports([github(), github(DEPLOYED + timedelta(seconds=1))])) == 2
    lost = dynatrace().model_copy(update={"service": None})
    assert len(merge_reports([github().model_copy(update={"service": None}), lost])) == 2


def test_a_commit_sha_matches_its_abbreviation() -> None:
    sha = "4f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a"
    assert same_version(version_key(sha) or "", version_key(sha[:12]) or "")
    assert len(merge_reports([github(ref=sha), cdevents(version=sha[:12])])) == 1
    assert version_key("V4.2.0") == version_key("refs/tags/v4.2.0") == "4.2.0"
    assert not same_version("4.2.0", "4.2.1")
