"""Soak: mixed tool calls on the demo world, in-process through an MCP client, printing RSS.

    python benchmarks/soak.py [--minutes 30] [--every 60] [--warmup 2]

Calls who_owns, what_changed, blast_radius, get_runbook and correlate_alerts in turn, with the
service and window varying, for ``--minutes`` minutes on the real clock (so windows and cache
buckets move as on a live server). Every ``--every`` seconds it prints the elapsed time, calls so
far and the resident set size; at the end it compares the RSS after ``--warmup`` minutes with the
last sample. Memory is flat when the end is within 10 % of the warmed-up start.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import time
from pathlib import Path
from typing import Any

from machine import machine  # benchmarks/machine.py, beside this script
from mcp import Client

from opscontext.cache import MemoryCache
from opscontext.server import build_server
from opscontext.settings import load

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo" / "opscontext.toml"
SERVICES = ("payment-service", "checkout-service", "orders-db", "events-kafka", "web-storefront", "api-gateway")
SINCE = ("30m", "2h", "6h", "24h")
QUERIES = ("bad deploy", "rollback", "latency", "disk full")


def rss_mib() -> float:
    """Resident set size of this process, from /proc (Linux)."""
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def calls() -> itertools.cycle[tuple[str, dict[str, Any]]]:
    """The mix: every tool, arguments rotating through services, windows and queries."""
    mix: list[tuple[str, dict[str, Any]]] = []
    for i, service in enumerate(SERVICES):
        since = SINCE[i % len(SINCE)]
        mix += [
            ("who_owns", {"service": service}),
            ("what_changed", {"service": service, "since": since}),
            ("blast_radius", {"service": service}),
            ("get_runbook", {"service": service, "query": QUERIES[i % len(QUERIES)]}),
            ("correlate_alerts", {"since": since} if i % 2 else {}),
        ]
    return itertools.cycle(mix)


async def soak(minutes: float, every: float, warmup: float) -> None:
    server = build_server(load(DEMO), cache=MemoryCache())
    print(f"machine: {machine()}\nsoak: {minutes:g} min of mixed tool calls on the demo world, RSS every {every:g} s")
    print("| elapsed s | calls | RSS MiB |\n|---|---|---|", flush=True)
    start = time.monotonic()
    samples: list[tuple[float, float]] = [(0.0, rss_mib())]
    done, next_print = 0, every
    async with Client(server) as client:
        for tool, args in calls():
            result = await client.call_tool(tool, args)
            if result.is_error:
                raise SystemExit(f"{tool} {args} failed: {result.content}")
            done += 1
            elapsed = time.monotonic() - start
            if elapsed >= next_print:
                samples.append((elapsed, rss_mib()))
                print(f"| {elapsed:.0f} | {done} | {samples[-1][1]:.1f} |", flush=True)
                next_print += every
            if elapsed >= minutes * 60:
                break
    warm = next((rss for at, rss in samples if at >= warmup * 60), samples[-1][1])
    end = samples[-1][1]
    print(
        f"\n{done} calls in {minutes:g} min; RSS at start {samples[0][1]:.1f} MiB, after {warmup:g} min warm-up "
        f"{warm:.1f} MiB, at end {end:.1f} MiB ({(end - warm) / warm * 100:+.1f} % since warm-up)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to run (default 30)")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between RSS samples (default 60)")
    parser.add_argument("--warmup", type=float, default=2.0, help="minutes before the reference sample (default 2)")
    args = parser.parse_args()
    logging.getLogger("opscontext.audit").setLevel(logging.WARNING)  # one line per call would drown the figures
    asyncio.run(soak(args.minutes, args.every, args.warmup))


if __name__ == "__main__":
    main()
