"""correlate_alerts asks a real Prometheus about quiet candidates, with the shipped health queries.

The demo world's shipping group has a quiet candidate, ``parcelhub-api``. A Prometheus of its own
is backfilled (at the demo's own dates) with the OpenTelemetry HTTP server histogram for it and
for a calm neighbour: parcelhub-api starts answering 35 % of requests with 503 when the group
begins. The default PromQL, the two minute-rounded instants and the verdict then meet the real
query engine: parcelhub-api is named, with what moved, and the calm neighbour is not.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.models import SourceState
from opscontext.queries.correlate import correlate_alerts
from opscontext.settings import Settings, load

from .servers import Server, binary, free_port, launch

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
ANCHOR = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # the demo's time_anchor: no replay shift
QUIET = "parcelhub-api"
METRIC = "http_server_request_duration_seconds"
BUCKETS = (("0.1", 0.6), ("0.5", 0.95), ("1.0", 0.99), ("+Inf", 1.0))


def backfill(start: datetime, services: list[str]) -> str:
    """Histogram samples every 15 s from 40 min before ``start`` to 20 min after: 20 requests/s
    each, all 200 except QUIET's 503 share of 35 % from ``start`` on."""
    lines = [f"# TYPE {METRIC} histogram"]
    t0 = int(start.timestamp()) - 2400
    ok: dict[str, float] = dict.fromkeys(services, 0.0)
    failed = 0.0
    for step in range(241):
        ts = t0 + step * 15
        for job in services:
            bad_share = 0.35 if job == QUIET and ts >= start.timestamp() else 0.0
            if step:
                ok[job] += 20 * 15 * (1 - bad_share)
                if job == QUIET:
                    failed += 20 * 15 * bad_share
            series = [("200", ok[job])] + ([("503", failed)] if job == QUIET and failed else [])
            for code, count in series:
                labels = f'job="{job}",http_response_status_code="{code}"'
                for le, share in BUCKETS:
                    lines.append(f'{METRIC}_bucket{{{labels},le="{le}"}} {count * share} {ts}')
                lines.append(f"{METRIC}_count{{{labels}}} {count} {ts}")
                lines.append(f"{METRIC}_sum{{{labels}}} {count * 0.1} {ts}")
    return "\n".join([*lines, "# EOF", ""])


def with_prometheus(url: str) -> Settings:
    data = load(DEMO / "opscontext.toml").model_dump()
    data["connectors"]["prom"] = {"type": "prometheus", "url": url, "max_retries": 0, "topology": False}
    return Settings.model_validate(data)


def serve(workdir: Path, openmetrics: str) -> Server:
    """A Prometheus of its own over blocks made from ``openmetrics``, kept however old they are."""
    exe, promtool = binary("prometheus"), binary("promtool")
    (workdir / "backfill.om").write_text(openmetrics)
    subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "backfill.om", "data"],
                   cwd=workdir, check=True, capture_output=True, timeout=60)
    (workdir / "prometheus.yml").write_text("global:\n  evaluation_interval: 15s\n")
    port = free_port()
    return launch("health-demo-prometheus", [
        exe, "--config.file=prometheus.yml", f"--storage.tsdb.path={workdir / 'data'}",
        "--storage.tsdb.retention.time=100y",  # the demo's dates are in the past
        f"--web.listen-address=127.0.0.1:{port}"], port, workdir)


async def test_a_real_prometheus_names_the_quiet_api_whose_errors_jumped(tmp_path: Path) -> None:
    binary("prometheus")  # skip early (or fail, where integration is required) without one
    async with open_app(load(DEMO / "opscontext.toml"), cache=MemoryCache(), clock=lambda: ANCHOR) as app:
        plain = await correlate_alerts(app)
    (shipping,) = [g for g in plain.groups if QUIET in (c.service for c in g.candidates)]
    assert shipping.primary_contributor != QUIET
    calm = next(c.service for g in plain.groups for c in g.candidates if not c.alerting and c.service != QUIET)

    server = serve(tmp_path, backfill(shipping.started_at, [QUIET, calm]))
    try:
        async with open_app(with_prometheus(server.url), cache=MemoryCache(), clock=lambda: ANCHOR) as app:
            answer = await correlate_alerts(app)
    finally:
        server.stop()

    (group,) = [g for g in answer.groups if g.id == shipping.id]
    assert group.primary_contributor == QUIET
    top = group.candidates[0]
    assert not top.alerting
    # rate()[5m] at the minute-rounded second instant still reaches back a little before the jump
    assert any(re.fullmatch(r"did not alert, but its own health shows it degraded: error ratio 0% -> 3\d% \(prom\)", e)
               for e in top.evidence), top.evidence
    (status,) = [s for s in answer.sources if s.capability == "health"]
    assert (status.source, status.state) == ("prom", SourceState.OK)
    others = {g.id: g.primary_contributor for g in plain.groups if g.id != shipping.id}
    assert {g.id: g.primary_contributor for g in answer.groups if g.id != shipping.id} == others
    assert all(c.service != calm or "degraded" not in " ".join(c.evidence) for g in answer.groups for c in g.candidates)
