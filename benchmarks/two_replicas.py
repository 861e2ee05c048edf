"""Two replicas, one Redis: how often does the upstream get asked per cache TTL?

    python benchmarks/two_replicas.py [--seconds 20] [--ttl 2] [--redis redis://127.0.0.1:6379/0]

Serves Alertmanager-shaped JSON (``GET /api/v2/alerts``) from a loopback HTTP server that counts
requests and answers after ``--delay`` seconds, then starts two separate ``opscontext`` processes
(an App each, ``alertmanager-api`` connector pointed at that server, ``[cache] backend =
"redis"``) that ask for alerts as fast as they can for ``--seconds``. Without a shared cache and a
cross-process single flight each replica fetches once per TTL; with them, the two together fetch
once. Starts its own redis-server on a free loopback port unless ``--redis`` is given. The last
line is a JSON summary (the integration test reads it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ALERTS = [
    {
        "labels": {"alertname": "HighLatency", "service": "checkout", "severity": "critical"},
        "annotations": {"summary": "p99 above 2 s"},
        "startsAt": "2026-03-10T13:50:00Z",
        "endsAt": "2099-01-01T00:00:00Z",
        "fingerprint": "0123456789abcdef",
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
        "receivers": [{"name": "null"}],
        "updatedAt": "2026-03-10T13:50:00Z",
        "generatorURL": "http://prometheus/graph",
    }
]


class Upstream(ThreadingHTTPServer):
    """Counts every request; answers after ``delay`` seconds (so replicas overlap)."""

    daemon_threads = True

    def __init__(self, delay: float):
        self.delay, self.requests, self.lock = delay, 0, threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(BaseHTTPRequestHandler):
    server: Upstream

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests += 1
        time.sleep(self.server.delay)
        body = json.dumps(ALERTS).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


async def replica(upstream: str, redis_url: str, ttl: float, start_at: float, seconds: float, backend: str) -> int:
    """One replica: ask for the last two hours of alerts in a tight loop; returns calls made."""
    from opscontext.app import open_app
    from opscontext.deadline import call_deadline
    from opscontext.models import SourceState, TimeWindow
    from opscontext.settings import Settings

    settings = Settings(
        world={"name": "two-replicas"},
        connectors={"am": {"type": "alertmanager-api", "url": upstream}},
        cache={"backend": backend, "url": redis_url, "ttl": {"alerts": ttl}},
    )
    calls = 0
    await asyncio.sleep(max(0.0, start_at - time.time()))
    async with open_app(settings) as app:
        while time.time() < start_at + seconds:
            with call_deadline(settings.limits.call_seconds()):
                now = app.now()
                got = await app.hub.alerts(TimeWindow(since=now - timedelta(hours=2), until=now))
            if got.statuses[0].state is not SourceState.OK:
                raise SystemExit(f"replica saw {got.statuses[0]}")
            calls += 1
            await asyncio.sleep(0.005)
    return calls


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server not installed (bash .ci/install-servers.sh) and no --redis given")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    argv = [exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(workdir)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, f"redis://127.0.0.1:{port}/0"


def run(seconds: float, ttl: float, delay: float, redis_url: str | None, backend: str = "redis") -> dict[str, Any]:
    upstream = Upstream(delay)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    redis_proc = None
    with tempfile.TemporaryDirectory() as tmp:
        if redis_url is None:
            redis_proc, redis_url = start_redis(Path(tmp))
        start_at = time.time() + 3.0  # both replicas import and connect first, then start together
        argv = [sys.executable, __file__, "--replica", f"http://127.0.0.1:{upstream.server_port}", redis_url,
                "--ttl", str(ttl), "--seconds", str(seconds), "--start-at", str(start_at), "--cache", backend]
        workers = [subprocess.Popen(argv, stdout=subprocess.PIPE) for _ in range(2)]
        calls = [int(w.communicate(timeout=seconds + 60)[0].decode().split()[-1]) for w in workers]
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=5)
    upstream.shutdown()
    # Window keys change every TTL bucket; count the buckets the run touched.
    buckets = math.floor((start_at + seconds) / ttl) - math.floor(start_at / ttl) + 1
    return {"replicas": 2, "cache": backend, "calls": calls, "seconds": seconds, "ttl": ttl, "ttl_buckets": buckets,
            "upstream_requests": upstream.requests, "per_ttl": round(upstream.requests / buckets, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--ttl", type=float, default=2.0, help="cache.ttl.alerts")
    parser.add_argument("--delay", type=float, default=0.2, help="upstream answer time")
    parser.add_argument("--redis", default=None, help="use this Redis instead of starting one")
    parser.add_argument("--cache", choices=["redis", "memory"], default="redis", help="memory: the control run")
    parser.add_argument("--replica", nargs=2, metavar=("UPSTREAM", "REDIS"), help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replica:
        print(asyncio.run(replica(*args.replica, args.ttl, args.start_at, args.seconds, args.cache)))
        return
    summary = run(args.seconds, args.ttl, args.delay, args.redis, args.cache)
    calls = sum(summary["calls"])
    print(f"{args.cache} cache: {summary['upstream_requests']} upstream requests from 2 replicas ({calls} calls) over "
          f"{summary['ttl_buckets']} TTL periods of {args.ttl:g} s: {summary['per_ttl']} per TTL")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
