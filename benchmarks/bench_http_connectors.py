"""The HTTP connectors at estate size, on loopback: requests and seconds per call.

    python benchmarks/bench_http_connectors.py [--services 64] [--latency-ms 0 50] [--runs 5]

Starts benchmarks/loopback_vendors.py (a 64-service estate in the GitHub, PagerDuty, ServiceNow
and Dynatrace API shapes) as a separate process on 127.0.0.1, then measures:

1. GitHub ``changes()`` over the last 24 hours: a first call (a new connector) and a repeat call
   (the same connector, so conditional requests may answer 304): requests sent, of which 304,
   primary rate-limit quota spent, and seconds (median of ``--runs``), per ``max_concurrency``.
2. ``what_changed`` through the MCP client over the four vendors and a 64-service Backstage
   catalog: entries listed for the estate's deploys, and seconds for a first call.

Runs against whichever opscontext is importable, so the same script measures main
(``PYTHONPATH=/work/main/src:/work/main/connectors``) and a branch. ``--latency-ms`` makes the
server hold every answer that long, standing in for a network round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from machine import machine  # benchmarks/machine.py, beside this script
from mcp import Client

from opscontext.cache import MemoryCache
from opscontext.models import TimeWindow
from opscontext.registry import ConnectorContext, build_http_client, discover
from opscontext.server import build_server
from opscontext.settings import load

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(services: int, latency_ms: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    argv = [sys.executable, str(HERE / "loopback_vendors.py"), "--port", str(port),
            "--services", str(services), "--latency-ms", str(latency_ms)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/__stats", timeout=0.5)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.terminate()
    raise SystemExit(f"loopback vendors did not start: {proc.stderr.read().decode() if proc.stderr else ''}")


def stats(base: str, reset: bool = False) -> dict[str, int]:
    found: dict[str, int] = httpx.get(f"{base}/__stats").json()
    if reset:
        httpx.post(f"{base}/__reset")
    return found


def github(base: str, services: int, concurrency: int | None) -> Any:
    spec = discover()["github"]
    raw: dict[str, Any] = {"type": "github", "url": f"{base}/github", "token": "ghp_bench",
                           "repositories": {f"acme/svc-{i:02d}": f"svc-{i:02d}" for i in range(services)}}
    if concurrency is not None:
        raw["max_concurrency"] = concurrency
    config = spec.config_model.model_validate(raw)
    return spec.factory(ConnectorContext(name="github", config=config, http=build_http_client(config)))


async def github_calls(base: str, services: int, concurrency: int | None, runs: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    window = TimeWindow(since=now - timedelta(hours=24), until=now)
    out: dict[str, list[float]] = {"first s": [], "repeat s": [], "first cpu s": [], "repeat cpu s": []}
    counts: dict[str, dict[str, int]] = {}
    for _ in range(runs):
        connector = github(base, services, concurrency)
        stats(base, reset=True)
        for label in ("first", "repeat"):
            t0, c0 = time.perf_counter(), time.process_time()
            changes = await connector.changes(window)
            out[f"{label} s"].append(time.perf_counter() - t0)
            out[f"{label} cpu s"].append(time.process_time() - c0)  # this process only: not the server's
            counts[label] = stats(base, reset=True) | {"changes": len(changes)}
        await connector.client.json.http.aclose()
    return {"seconds": {k: statistics.median(v) for k, v in out.items()}, "counts": counts}


def world(base: str, services: int, tmp: Path) -> Path:
    docs = [
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
         "metadata": {"name": f"svc-{i:02d}", "annotations": {"github.com/project-slug": f"acme/svc-{i:02d}"}},
         "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}}
        for i in range(services)
    ]
    (tmp / "catalog.yaml").write_text("\n---\n".join(json.dumps(d) for d in docs))  # JSON is YAML
    repos = ", ".join(f'"acme/svc-{i:02d}"' for i in range(services))
    (tmp / "opscontext.toml").write_text(f"""
[world]
name = "bench-{os.getpid()}"
[connectors.catalog]
type = "backstage"
path = "catalog.yaml"
[connectors.github]
type = "github"
url = "{base}/github"
token = "ghp_bench"
repositories = [{repos}]
[connectors.pagerduty]
type = "pagerduty"
url = "{base}/pagerduty"
token = "u+bench"
[connectors.servicenow]
type = "servicenow"
url = "{base}/servicenow"
token = "bench"
[connectors.dynatrace]
type = "dynatrace"
url = "{base}/dynatrace"
token = "dt0c01.BENCH"
[cache]
backend = "memory"
[limits]
source_timeout_seconds = 60
""")
    return tmp / "opscontext.toml"


async def what_changed(base: str, services: int, runs: int) -> dict[str, Any]:
    seconds, cpu, data = [], [], {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = load(world(base, services, Path(tmp)))
        for _ in range(runs):
            async with Client(build_server(settings, cache=MemoryCache())) as client:
                t0, c0 = time.perf_counter(), time.process_time()
                result = await client.call_tool("what_changed", {"since": "24h"})
                seconds.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                data = result.structured_content or {}
    return {
        "seconds": statistics.median(seconds),
        "cpu seconds": statistics.median(cpu),
        "total": data.get("total"),  # changes in the window, after any merging
        "states": {f"{s['source']}/{s['capability']}": s["state"] for s in data.get("sources", [])
                   if s["capability"] == "changes"},
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 50.0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bounded = "max_concurrency" in discover()["github"].config_model.model_fields
    print(f"machine: {machine()}\nopscontext: {Path(sys.modules['opscontext'].__file__ or '').parent}")
    for latency in args.latency_ms:
        proc, base = start(args.services, latency)
        try:
            for concurrency in args.concurrency if bounded else [None]:
                got = await github_calls(base, args.services, concurrency, args.runs)
                print(json.dumps({"latency_ms": latency, "max_concurrency": concurrency, **got}))
            listed = await what_changed(base, args.services, args.runs)
            print(json.dumps({"latency_ms": latency, "what_changed": listed}))
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(main())
