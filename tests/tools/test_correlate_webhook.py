"""correlate_alerts over alerts recorded from Alertmanager's webhook, the way a fault-injection run
or an incident bot records them: notifications in the order sent, firing alerts carrying Go's zero
time as ``endsAt``. Read as an end, that time dropped every firing alert from the window, and the
answer was "no alerts" while an incident was burning."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.models import SourceState
from opscontext.queries.correlate import CorrelationAnswer, correlate_alerts
from opscontext.settings import Settings

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
START = NOW - timedelta(minutes=15)
GO_ZERO = "0001-01-01T00:00:00Z"


def component(name: str, deps: tuple[str, ...] = ()) -> str:
    on = ", ".join(f"'component:default/{d}'" for d in deps)
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\n"
            f"spec: {{type: service, lifecycle: production, owner: team-a, dependsOn: [{on}]}}\n")


def stamp(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def sent(service: str, minute: int, status: str = "firing", ended: int | None = None) -> dict[str, object]:
    """One webhook notification (version 4) holding one alert of ``service``."""
    alert = {"status": status, "labels": {"alertname": "HighErrorRate", "service": service, "severity": "critical"},
             "annotations": {"summary": f"{service} 5xx above 5%"},
             "startsAt": stamp(START + timedelta(minutes=minute)),
             "endsAt": GO_ZERO if ended is None else stamp(START + timedelta(minutes=ended)),
             "generatorURL": "http://prometheus.example:9090/graph", "fingerprint": f"fp-{service}"}
    return {"receiver": "recorder", "status": status, "alerts": [alert], "groupLabels": {"service": service},
            "commonLabels": alert["labels"], "commonAnnotations": {}, "externalURL": "http://am.example:9093",
            "version": "4", "groupKey": f'{{}}:{{service="{service}"}}', "truncatedAlerts": 0}


async def ask(world: Path) -> CorrelationAnswer:
    settings = Settings(connectors={"catalog": {"type": "backstage", "path": "catalog.yaml"},
                                    "alerts": {"type": "alertmanager", "path": "recorded.json"}}, base_dir=world)
    async with open_app(settings, cache=MemoryCache(), clock=lambda: NOW) as app:
        return await correlate_alerts(app, stamp(NOW - timedelta(hours=1)), stamp(NOW))


async def test_a_recorded_webhook_run_is_one_group_named_after_its_root(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text("---\n".join([
        component("frontend", ("checkout",)), component("checkout", ("payments",)), component("payments")]))
    (tmp_path / "recorded.json").write_text(json.dumps([
        sent("payments", 0), sent("checkout", 2), sent("frontend", 3),
        sent("frontend", 3, "resolved", ended=9),  # the front end recovered; the others still fire
    ]))
    answer = await ask(tmp_path)
    (status,) = [s for s in answer.sources if s.capability == "alerts"]
    assert status.state == SourceState.OK
    (group,) = answer.groups
    assert group.primary_contributor == "payments"
    assert sorted(a.service for a in group.alerts) == ["checkout", "frontend", "payments"]
