"""Estate size through the product: files -> connectors -> hub -> engine -> MCP answer.

    python benchmarks/estate.py            # 5k/10k, 20k/50k, 50k/100k (services/alerts)
    python benchmarks/estate.py --quick    # 5k services / 10k alerts only
    python benchmarks/estate.py --write    # also replace the section in benchmarks/RESULTS.md

Each point writes a world in the vendors' own formats (:mod:`evalkit.classic.export`): one
Backstage catalog YAML with ``spec.dependsOn``, the Alertmanager v2 ``GET /api/v2/alerts`` array
in one file or split over 4 files, and CDEvents changes. ``opscontext serve --config`` is started
over stdio and driven by the official MCP client (as :mod:`evalkit.product` does), with a fresh
cache directory so the first call is a first run. Timed through MCP: the first ``blast_radius``
after start (cold: catalog parse, identity index, graph), warm ``blast_radius`` p50/p99, the first
``correlate_alerts`` (cold: alert files parsed, correlated) and warm ones; then the server's peak
RSS (``VmHWM`` of the server process). Floors in the same run, in this process: libyaml
``CSafeLoader`` parse of the catalog, ``json.loads`` of the alert files, networkx BFS of the
dependents of the same service.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import yaml
from machine import machine  # benchmarks/machine.py, beside this script
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # evalkit is a dev tree beside src/, not installed

from bench_correlate import _scenario  # noqa: E402  (the scale scenario generator, reused)

from evalkit.classic.export import _iso, alertmanager_alert, catalog, cdevent  # noqa: E402

FULL = [(5_000, 10_000), (20_000, 50_000), (50_000, 100_000)]
QUICK = [(5_000, 10_000)]
WARM_CALLS = 30
HEADER = "## Estate size through the product"
TOML = """[connectors.catalog]
type = "backstage"
path = "catalog"

[connectors.alerts]
type = "alertmanager"
path = "{alerts}"
max_file_mb = 500

[connectors.changes]
type = "cdevents"
path = "changes"

[limits]
# Generous, so a slow first load is measured instead of cut off at the 15 s default.
source_timeout_seconds = 300
"""


@dataclass
class Point:
    services: int
    edges: int
    alerts: int
    files: int
    hub: str
    impacted: int = 0
    settle: float = 0.0
    blast_cold: float = 0.0
    blast_cpu: float = 0.0
    blast_warm: list[float] = field(default_factory=list)
    corr_cold: float = 0.0
    corr_cpu: float = 0.0
    corr_warm: list[float] = field(default_factory=list)
    rss_mib: float = 0.0
    floor_yaml: float = 0.0
    floor_json: float = 0.0
    floor_bfs: list[float] = field(default_factory=list)
    error: str = ""


def write_world(n_services: int, n_alerts: int, out: Path) -> tuple[dict[str, Any], str]:
    """The world in vendor formats under ``out``; the correlate window and the hub service."""
    _, scenario, topology = _scenario(n_services, n_alerts, seed=0)
    for sub in ("catalog", "alerts1", "alerts4", "changes"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with open(out / "catalog" / "catalog.yaml", "w", encoding="utf-8") as f:
        yaml.dump_all(catalog(topology), f, Dumper=dumper, sort_keys=False)
    alerts = [alertmanager_alert(a, scenario.now) for a in scenario.alerts]
    (out / "alerts1" / "alerts.json").write_text(json.dumps(alerts), encoding="utf-8")
    for i in range(4):
        (out / "alerts4" / f"alerts-{i}.json").write_text(json.dumps(alerts[i::4]), encoding="utf-8")
    lines = [json.dumps(cdevent(c)) for c in scenario.changes]
    (out / "changes" / "changes.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for layout in ("alerts1", "alerts4"):
        (out / f"{layout}.toml").write_text(TOML.format(alerts=layout), encoding="utf-8")
    start = min(a.starts_at for a in scenario.alerts)
    window = {"since": _iso(start), "until": _iso(scenario.now)}
    return window, _busiest(topology)


def _busiest(topology: Any) -> str:
    """The service most others depend on directly: a blast radius worth asking about."""
    counts: dict[str, int] = {}
    for e in topology.edges:
        counts[e.dependency] = counts.get(e.dependency, 0) + 1
    return max(counts, key=lambda s: counts[s])


def floors(out: Path, layout: str, hub: str, p: Point) -> None:
    """Parse and walk floors, measured here on the same files and the same service."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    t = time.perf_counter()
    with open(out / "catalog" / "catalog.yaml", encoding="utf-8") as f:
        docs = [d for d in yaml.load_all(f, Loader=loader) if d]
    p.floor_yaml = time.perf_counter() - t
    t = time.perf_counter()
    for path in sorted((out / layout).glob("*.json")):
        json.loads(path.read_bytes())
    p.floor_json = time.perf_counter() - t
    g: nx.DiGraph[str] = nx.DiGraph()
    for d in docs:
        for ref in (d.get("spec") or {}).get("dependsOn", []):
            g.add_edge(d["metadata"]["name"], ref.split("/", 1)[1])
    p.edges = g.number_of_edges()
    for _ in range(WARM_CALLS):
        t = time.perf_counter()
        nx.ancestors(g, hub)  # every service that depends on it, transitively
        p.floor_bfs.append(time.perf_counter() - t)


def _children() -> set[int]:
    me = str(os.getpid())
    kids = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path("/proc", d, "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[1] == me:
                kids.add(int(d))
    return kids


def _cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of a process so far: steadier than wall time on a shared VM."""
    if pid is None:
        return float("nan")
    f = Path("/proc", str(pid), "stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def _hwm_mib(pid: int) -> float:
    for line in Path("/proc", str(pid), "status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _timed(client: Client, tool: str, args: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    t = time.perf_counter()
    result = await client.call_tool(tool, args)
    took = time.perf_counter() - t
    if result.is_error:
        raise RuntimeError(f"{tool} failed: {result.content}")
    return took, result.structured_content or {}


async def through_mcp(toml: Path, cache_dir: Path, window: dict[str, Any], hub: str, p: Point) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_dir)}
    params = StdioServerParameters(command=sys.executable, env=env,
                                   args=["-m", "opscontext", "serve", "--config", str(toml), "--log-level", "error"])
    before = _children()
    async with Client(params, read_timeout_seconds=600) as client:
        server = next(iter(_children() - before), None)
        blast = {"service": hub}
        await asyncio.sleep(p.settle)  # a client that connects at start and asks later
        cpu = _cpu_s(server)
        p.blast_cold, answer = await _timed(client, "blast_radius", blast)
        p.blast_cpu, cpu = _cpu_s(server) - cpu, _cpu_s(server)
        p.impacted = int(answer.get("impacted_total", 0))
        p.corr_cold, _ = await _timed(client, "correlate_alerts", window)
        p.corr_cpu = _cpu_s(server) - cpu
        for _ in range(WARM_CALLS):
            p.blast_warm.append((await _timed(client, "blast_radius", blast))[0])
        for _ in range(3):
            p.corr_warm.append((await _timed(client, "correlate_alerts", window))[0])
        p.rss_mib = _hwm_mib(server) if server else float("nan")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def run(points: list[tuple[int, int]], settles: list[float]) -> list[Point]:
    rows: list[Point] = []
    for n_services, n_alerts in points:
        with tempfile.TemporaryDirectory(prefix="oc-estate-") as tmp:
            out = Path(tmp)
            t = time.perf_counter()
            window, hub = write_world(n_services, n_alerts, out)
            print(f"{n_services} services / {n_alerts} alerts written in {time.perf_counter() - t:.0f} s "
                  f"(blast radius of {hub})", file=sys.stderr, flush=True)
            for (layout, files), settle in itertools.product((("alerts1", 1), ("alerts4", 4)), settles):
                p = Point(n_services, 0, n_alerts, files, hub, settle=settle)
                floors(out, layout, hub, p)
                cache = out / f"cache-{layout}-{settle:g}"
                try:
                    asyncio.run(through_mcp(out / f"{layout}.toml", cache, window, hub, p))
                except Exception as exc:  # a failed point is a row that says so, not a lost run
                    p.error = str(exc)[:200]
                print(row(p), file=sys.stderr, flush=True)
                rows.append(p)
    return rows


def row(p: Point) -> str:
    if p.error:
        head = f"| {p.services:,} | {p.edges:,} | {p.alerts:,} | {p.files} | {p.settle:g} "
        return head + f"| failed: {p.error} |" + " |" * 9
    ms = 1000
    return (f"| {p.services:,} | {p.edges:,} | {p.alerts:,} | {p.files} | {p.settle:g} | {p.blast_cold:.2f} "
            f"({p.blast_cpu:.2f}) | "
            f"{pct(p.blast_warm, 50) * ms:.1f} / {pct(p.blast_warm, 99) * ms:.1f} | {p.corr_cold:.2f} "
            f"({p.corr_cpu:.2f}) | "
            f"{statistics.median(p.corr_warm):.2f} | {p.rss_mib:,.0f} | {p.floor_yaml:.2f} | "
            f"{p.floor_json:.2f} | {pct(p.floor_bfs, 50) * ms:.1f} / {pct(p.floor_bfs, 99) * ms:.1f} | "
            f"{p.impacted:,} |")


def table(rows: list[Point]) -> str:
    head = ("| services | edges | alerts | alert files | first call after s | first `blast_radius` s (server CPU s) "
            "| warm `blast_radius` p50 / p99 ms | first `correlate_alerts` s (server CPU s) "
            "| warm `correlate_alerts` s | server peak RSS MiB "
            "| floor: CSafeLoader catalog s | floor: json alerts s | floor: networkx BFS p50 / p99 ms "
            "| impacted |")
    return "\n".join([head, "|" + "---|" * 14, *(row(p) for p in rows)])


def write_results(text: str) -> None:
    path = ROOT / "benchmarks" / "RESULTS.md"
    doc = path.read_text(encoding="utf-8")
    start = doc.find(HEADER)
    if start >= 0:
        end = doc.find("\n## ", start + len(HEADER))
        doc = doc[:start] + text + (doc[end + 1:] if end >= 0 else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    path.write_text(doc, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="5k services / 10k alerts only")
    ap.add_argument("--sizes", nargs="+", metavar="SERVICES:ALERTS", help="points to run instead, e.g. 20000:50000")
    ap.add_argument("--settle", type=float, nargs="+", default=[0.0],
                    help="seconds between the client's initialize and its first call (default 0: at once); "
                    "several values run the server once for each")
    ap.add_argument("--write", action="store_true", help="replace the section in benchmarks/RESULTS.md")
    args = ap.parse_args()
    points = [(int(p.split(":")[0]), int(p.split(":")[1])) for p in args.sizes or []]
    rows = run(points or (QUICK if args.quick else FULL), args.settle)
    text = f"{HEADER}\n\nMachine: {machine()}.\n\n{table(rows)}\n"
    print(text)
    if args.write:
        write_results(text)


if __name__ == "__main__":
    main()
