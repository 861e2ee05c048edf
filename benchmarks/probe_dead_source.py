"""A dead source, probed: worst tool-call time against the deadline, and requests that reached it.

    python benchmarks/probe_dead_source.py [--calls 60] [--interval 1] [--deadline 3] [--sleep 30]

Adds a Prometheus (topology, alerts, health) to the demo world, pointed at a loopback HTTP server
that accepts every request and sleeps ``--sleep`` seconds before answering, and calls who_owns,
blast_radius and correlate_alerts in turn through an in-process MCP client, one call every
``--interval`` seconds. Prints the worst and median call time as a multiple of the per-source
deadline and how many requests reached the dead server (its circuit breaker should keep that to a
handful of trials; without one every call asks it again).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from machine import machine  # benchmarks/machine.py, beside this script
from mcp import Client

from opscontext.cache import MemoryCache
from opscontext.server import build_server
from opscontext.settings import load

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo" / "opscontext.toml"
CALLS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("who_owns", {"service": "payment-service"}),
    ("blast_radius", {"service": "payment-service"}),
    ("correlate_alerts", {}),
)


class DeadServer(ThreadingHTTPServer):
    """Loopback HTTP server that sleeps on every request; counts them."""

    daemon_threads = True

    def __init__(self, sleep: float):
        self.sleep, self.requests, self.lock = sleep, 0, threading.Lock()
        super().__init__(("127.0.0.1", 0), Sleeper)


class Sleeper(BaseHTTPRequestHandler):
    server: DeadServer

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests += 1
        time.sleep(self.server.sleep)
        body = b'{"status":"success","data":{"result":[]}}'
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up long ago
            pass

    def log_message(self, format: str, *args: Any) -> None:
        return None


async def probe(calls: int, interval: float, deadline: float, sleep: float) -> None:
    dead = DeadServer(sleep)
    threading.Thread(target=dead.serve_forever, daemon=True).start()
    settings = load(DEMO)
    settings.connectors["prom"] = {"type": "prometheus", "url": f"http://127.0.0.1:{dead.server_port}"}
    settings.limits.source_timeout_seconds = deadline
    print(f"machine: {machine()}")
    print(f"dead Prometheus sleeping {sleep:g} s; per-source deadline {deadline:g} s")
    print(f"{calls} calls (who_owns, blast_radius, correlate_alerts in turn), one every {interval:g} s")
    times: list[float] = []
    started = time.monotonic()
    async with Client(build_server(settings, cache=MemoryCache())) as client:
        await client.call_tool("get_runbook", {"service": "payment-service"})  # warm the world
        before = dead.requests
        for i in range(calls):
            tool, args = CALLS[i % len(CALLS)]
            t0 = time.monotonic()
            result = await client.call_tool(tool, args)
            times.append(time.monotonic() - t0)
            if result.is_error:
                raise SystemExit(f"{tool} failed: {result.content}")
            await asyncio.sleep(max(0.0, interval - times[-1]))
        reached = dead.requests - before
    wall = time.monotonic() - started
    dead.shutdown()
    worst = max(times)
    print(f"worst call {worst:.2f} s = {worst / deadline:.2f} x deadline; median {statistics.median(times):.3f} s")
    print(f"requests that reached the dead source: {reached} over {calls} calls in {wall:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds from one call's start to the next")
    parser.add_argument("--deadline", type=float, default=3.0, help="limits.source_timeout_seconds")
    parser.add_argument("--sleep", type=float, default=30.0, help="how long the dead source sleeps per request")
    args = parser.parse_args()
    logging.getLogger("opscontext.audit").setLevel(logging.WARNING)  # one line per call would drown the figures
    asyncio.run(probe(args.calls, args.interval, args.deadline, args.sleep))


if __name__ == "__main__":
    main()
