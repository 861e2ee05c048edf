"""Prometheus health() with its default templates against a real Prometheus on loopback.

A Prometheus of its own is backfilled with the OpenTelemetry HTTP server histogram
(``http.server.request.duration`` as Prometheus stores it), so the shipped PromQL, the regex
escaping of a dotted service name and the mapping back to names all meet the real parser.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.prometheus import Prometheus, PrometheusConfig

from .servers import Server, binary, free_port, launch

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

METRIC = "http_server_request_duration_seconds"
# Service, status code, requests/s. checkout-service has no 5xx series at all.
TRAFFIC = (
    ("payment-service", "200", 8.0),
    ("payment-service", "503", 2.0),
    ("checkout-service", "200", 10.0),
    ("payments.v2", "200", 1.0),
)
# Cumulative share of requests at or under each bucket bound: p99 interpolates to 1.75 s.
BUCKETS = (("0.1", 0.5), ("0.5", 0.9), ("1.0", 0.98), ("2.5", 1.0), ("+Inf", 1.0))


def histogram_backfill(now: float) -> str:
    """OpenMetrics histogram samples every 15 s over the last 30 minutes, at TRAFFIC's rates."""
    lines = [f"# TYPE {METRIC} histogram"]
    start = int(now) - 1800
    for step in range(121):
        ts, elapsed = start + step * 15, step * 15
        for job, code, rps in TRAFFIC:
            labels = f'job="{job}",http_response_status_code="{code}"'
            count = rps * elapsed
            for le, share in BUCKETS:
                lines.append(f'{METRIC}_bucket{{{labels},le="{le}"}} {count * share} {ts}')
            lines.append(f"{METRIC}_count{{{labels}}} {count} {ts}")
            lines.append(f"{METRIC}_sum{{{labels}}} {count * 0.2} {ts}")
    return "\n".join([*lines, "# EOF", ""])


@pytest.fixture(scope="module")
def http_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    exe, promtool = binary("prometheus"), binary("promtool")
    workdir: Path = tmp_path_factory.mktemp("health-prometheus")
    (workdir / "backfill.om").write_text(histogram_backfill(time.time() - 1))
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "backfill.om", "data"],
        cwd=workdir,
        check=True,
        capture_output=True,
        timeout=60,
    )
    (workdir / "prometheus.yml").write_text("global:\n  evaluation_interval: 15s\n")
    port = free_port()
    argv = [exe, "--config.file=prometheus.yml", f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}"]
    server = launch("health-prometheus", argv, port, workdir)
    yield server
    server.stop()


@pytest.fixture
async def prom(http_prometheus: Server) -> AsyncIterator[Prometheus]:
    config = PrometheusConfig.model_validate({"type": "prometheus", "url": http_prometheus.url, "max_retries": 0})
    http = build_http_client(config)
    yield Prometheus(ConnectorContext(name="prom-live", config=config, http=http))
    await http.aclose()


async def test_default_templates_give_error_ratio_p99_and_traffic_per_service(prom: Prometheus) -> None:
    asked = ["payment-service", "checkout-service", "payments.v2", "absent-service"]
    health = {h.service: h for h in await prom.health(asked, datetime.now(UTC))}
    assert set(health) == {"payment-service", "checkout-service", "payments.v2"}
    pay = health["payment-service"]
    assert pay.error_rate == pytest.approx(0.2, abs=0.01)
    assert pay.request_rate == pytest.approx(10.0, rel=0.05)
    assert pay.latency_p99_seconds == pytest.approx(1.75, rel=0.05)
    checkout = health["checkout-service"]
    assert checkout.error_rate == 0.0, "no 5xx series means no errors, not no data"
    assert checkout.request_rate == pytest.approx(10.0, rel=0.05)
    assert health["payments.v2"].request_rate == pytest.approx(1.0, rel=0.05)


async def test_a_time_before_any_data_gives_no_health(prom: Prometheus) -> None:
    assert await prom.health(["payment-service"], datetime(2020, 1, 1, tzinfo=UTC)) == []
