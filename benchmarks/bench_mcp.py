"""MCP round trip of each tool on the demo world through an in-process client.

    python benchmarks/bench_mcp.py [--calls 200] [--transport memory|legacy]
    python benchmarks/bench_mcp.py --first

`memory` dispatches directly (what an embedding host sees); `legacy` runs real JSON-RPC over
memory streams (serialisation included). Prints p50/p95/p99 per tool and the machine.
``--first``: each tool's first and second call in a fresh server, once its background load is
done (the client makes one unrelated call before, so its own first-use imports are not counted).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from machine import machine  # benchmarks/machine.py, beside this script
from mcp import Client

from opscontext.cache import MemoryCache
from opscontext.server import build_server
from opscontext.settings import load

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo" / "opscontext.toml"
CALLS = {
    "who_owns": {"service": "payment-service"},
    "what_changed": {"service": "checkout-service", "since": "6h"},
    "blast_radius": {"service": "payment-service"},
    "get_runbook": {"service": "payment-service", "query": "rollback bad deploy"},
    "correlate_alerts": {},
    "incident_context": {"subject": "payment-service"},
}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(calls: int, mode: str) -> None:
    server = build_server(load(DEMO), cache=MemoryCache())
    client = Client(server, mode="legacy") if mode == "legacy" else Client(server)
    async with client:
        print(f"machine: {machine()}\ntransport: in-process ({mode}), {calls} calls per tool after 5 warm-up calls\n")
        print("| tool | p50 ms | p95 ms | p99 ms | mean ms |\n|---|---|---|---|---|")
        for tool, args in CALLS.items():
            for _ in range(5):
                await client.call_tool(tool, args)
            samples = []
            for _ in range(calls):
                t0 = time.perf_counter()
                result = await client.call_tool(tool, args)
                samples.append((time.perf_counter() - t0) * 1000)
                if result.is_error:
                    raise SystemExit(f"{tool} failed: {result.content}")
            print(
                f"| {tool} | {pct(samples, 50):.2f} | {pct(samples, 95):.2f} | {pct(samples, 99):.2f} "
                f"| {statistics.fmean(samples):.2f} |"
            )


async def first_calls(mode: str, settle: float = 1.5) -> None:
    print(f"machine: {machine()}\ntransport: in-process ({mode}), a fresh server per tool\n")
    print("| tool | first call ms | second call ms |\n|---|---|---|")
    for tool, args in CALLS.items():
        server = build_server(load(DEMO), cache=MemoryCache())
        client = Client(server, mode="legacy") if mode == "legacy" else Client(server)
        async with client:
            await client.call_tool("who_owns", {"service": "no-such-service"})
            await asyncio.sleep(settle)  # the background load of the file sources
            times = []
            for _ in range(2):
                t0 = time.perf_counter()
                result = await client.call_tool(tool, args)
                times.append((time.perf_counter() - t0) * 1000)
                if result.is_error:
                    raise SystemExit(f"{tool} failed: {result.content}")
        print(f"| {tool} | {times[0]:.0f} | {times[1]:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="timed calls per tool (default 200)")
    parser.add_argument("--transport", choices=["memory", "legacy"], default="memory")
    parser.add_argument("--first", action="store_true", help="time each tool's first call after the server starts")
    args = parser.parse_args()
    asyncio.run(first_calls(args.transport) if args.first else run(args.calls, args.transport))


if __name__ == "__main__":
    main()
