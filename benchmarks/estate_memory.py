"""Where the server's memory goes at estate size: resident size after each loading step, in-process.

    python benchmarks/estate_memory.py                         # 50k services / 100k alerts
    python benchmarks/estate_memory.py --sizes 20000:50000 --layout alerts4
    python benchmarks/estate_memory.py --world /tmp/w50k       # reuse (or keep) a written world

Writes the same world as ``estate.py`` (Backstage YAML, Alertmanager v2 JSON in 1 or 4 files,
CDEvents) unless ``--world`` already holds one, then runs the server's own code path in this
process, one step at a time: the catalog file source, the world (identity index and graph), the
alert and change file sources, a ``blast_radius`` and two ``correlate_alerts`` through the
queries the MCP tools call. After each step it prints the step's CPU seconds and the process's
resident size (``VmRSS``) and high-water mark (``VmHWM``), so a change can be measured in
seconds rather than through a full ``estate.py`` run over MCP (whose "server peak RSS" this
reproduces within a few percent).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from estate import write_world  # benchmarks/estate.py, beside this script

from opscontext import settings as loaded_settings
from opscontext.app import App, open_app
from opscontext.queries.blast import blast
from opscontext.queries.correlate import correlate_alerts

START = time.perf_counter()
_cpu = [time.process_time()]


def status() -> dict[str, int]:
    """VmRSS and VmHWM of this process, MiB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) // 1024
    return found


def step(name: str) -> None:
    """One line: wall clock since start, CPU seconds of the step, resident size and peak."""
    mem, cpu = status(), time.process_time()
    took, _cpu[0] = cpu - _cpu[0], cpu
    print(f"{time.perf_counter() - START:7.1f} s  {name:24s} CPU {took:5.2f} s  "
          f"RSS {mem['VmRSS']:6,} MiB  peak {mem['VmHWM']:6,} MiB", flush=True)


async def load(app: App) -> None:
    """The background preload's steps (``opscontext.warm``), one at a time."""
    world = {i.name for cap in ("catalog", "topology") for i in app.registry.of(cap)}
    for inst in app.registry.instances:
        if inst.name in world:
            await inst.connector.preload()  # type: ignore[attr-defined]
            step(f"{inst.name} read")
    await app.worlds.build()
    step("world built")
    for inst in app.registry.instances:
        if inst.name not in world:
            await inst.connector.preload()  # type: ignore[attr-defined]
            step(f"{inst.name} read")


async def run(world: Path, layout: str) -> None:
    meta = json.loads((world / "meta.json").read_text())
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="oc-mem-")  # a first run, as estate.py
    settings = loaded_settings.load(world / f"{layout}.toml")
    step("start")
    async with open_app(settings) as app:
        await load(app)
        budget = app.settings.limits.answer_tokens
        await blast(app, meta["hub"], budget=budget)
        step("blast_radius")
        for n in (1, 2):
            await correlate_alerts(app, meta["window"]["since"], meta["window"]["until"], budget=budget)
            step(f"correlate_alerts {n}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="50000:100000", metavar="SERVICES:ALERTS")
    ap.add_argument("--layout", choices=("alerts1", "alerts4"), default="alerts1", help="alerts in 1 or 4 files")
    ap.add_argument("--world", type=Path, help="directory of a world written earlier (written there if empty)")
    args = ap.parse_args()
    services, alerts = (int(x) for x in args.sizes.split(":"))
    world = args.world or Path(tempfile.mkdtemp(prefix="oc-mem-world-"))
    if not (world / "meta.json").exists():
        world.mkdir(parents=True, exist_ok=True)
        window, hub = write_world(services, alerts, world)
        (world / "meta.json").write_text(json.dumps({"window": window, "hub": hub}))
        print(f"{services} services / {alerts} alerts written to {world}", file=sys.stderr)
    asyncio.run(run(world, args.layout))


if __name__ == "__main__":
    main()
