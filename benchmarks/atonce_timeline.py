"""Where a client that asks at once waits: the server's background load and its first two calls on one timeline.

    python benchmarks/atonce_timeline.py --world /tmp/w50k             # a world written by estate_memory.py
    python benchmarks/atonce_timeline.py --world /tmp/w50k --layout alerts4

Runs in this process what ``opscontext serve`` runs: ``open_app(preload=True)`` starts the
background load (``opscontext.warm``), and at once a ``blast_radius`` of the busiest service and then
a ``correlate_alerts`` over the whole day are asked, as the MCP tools ask them (no JSON-RPC, whose
cost is small beside these). Each step of the load and of the calls is wrapped to print when it
started and ended (wall seconds since start), on which thread, and the CPU seconds that thread
spent in it. Two more things are recorded: every cyclic garbage collection (``gc.callbacks``),
and how late the event loop woke up for a 10 ms timer (a loop starved by a thread that holds the
GIL answers late). Dev only: the wrapping replaces attributes of the loaded modules.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import os
import resource
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opscontext import settings as loaded_settings
from opscontext import snapshots, warm, world
from opscontext.app import open_app
from opscontext.engine.correlation import topology
from opscontext.queries import blast, correlate
from opscontext_connectors.backstage.connector import BackstageFiles

T0 = time.perf_counter()
EVENTS: list[tuple[float, float, str, str, float]] = []  # start, end, thread, step, thread CPU
GCS: list[tuple[float, int, float]] = []  # start, generation, seconds


def now() -> float:
    return time.perf_counter() - T0


def _record(name: str, start: float, cpu: float) -> None:
    EVENTS.append((start, now(), threading.current_thread().name, name, time.thread_time() - cpu))


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` (sync or async) recorded on the timeline under ``name``."""
    if asyncio.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            start, cpu = now(), time.thread_time()
            try:
                return await fn(*args, **kwargs)
            finally:
                _record(name, start, cpu)  # CPU of the loop thread while awaiting: others' work too
        return run_async

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        start, cpu = now(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            _record(name, start, cpu)
    return run


def instrument() -> None:
    """Wrap the load's and the calls' steps (module attributes looked up at call time)."""
    for cls, attr, name in ((BackstageFiles, "_parse", "catalog parse+map"),
                            (snapshots.Snapshots, "_make", "hub prepare (sanitise, index)")):
        setattr(cls, attr, timed(name, getattr(cls, attr)))
    from opscontext import hub, sanitize
    from opscontext_connectors.backstage import connector as bs
    sanitize.Sanitizer.__call__ = timed("sanitise", sanitize.Sanitizer.__call__)  # type: ignore[method-assign]
    bs.read_entity_files = timed("  catalog: YAML parse + validate", bs.read_entity_files)
    bs.build_catalog = timed("  catalog: map services", bs.build_catalog)
    bs.build_edges = timed("  catalog: map edges", bs.build_edges)
    hub.Hub.gather = timed("hub gather", hub.Hub.gather)  # type: ignore[method-assign]
    world._assemble = timed("world assembly", world._assemble)  # type: ignore[method-assign]
    warm.prepare = timed("correlation prepare", warm.prepare)  # type: ignore[attr-defined]
    warm._resolve = timed("resolve to catalog names", warm._resolve)
    topology.prepare = timed("correlation prepare (call)", topology.prepare)


def on_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        GCS.append((now(), info["generation"], -time.perf_counter()))
    elif GCS:
        start, gen, neg = GCS[-1]
        GCS[-1] = (start, gen, time.perf_counter() + neg)


async def lag_probe(stop: asyncio.Event, lags: list[tuple[float, float]]) -> None:
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        late = time.perf_counter() - t - 0.01
        if late > 0.05:
            lags.append((now(), late))


async def run(world_dir: Path, layout: str) -> None:
    meta = json.loads((world_dir / "meta.json").read_text())
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="oc-atonce-")
    settings = loaded_settings.load(world_dir / f"{layout}.toml")
    budget = settings.limits.answer_tokens
    stop, lags = asyncio.Event(), []  # type: ignore[var-annotated]
    probe = asyncio.create_task(lag_probe(stop, lags))
    async with open_app(settings, preload=True) as app:
        t = now()
        await timed("CALL blast_radius", blast.blast)(app, meta["hub"], budget=budget)
        await timed("CALL correlate_alerts", correlate.correlate_alerts)(
            app, meta["window"]["since"], meta["window"]["until"], budget=budget)
        print(f"first calls done at {now():.2f} s (asked at {t:.2f} s); process CPU {time.process_time():.2f} s")
        assert app.loading is not None
        await app.loading
    stop.set()
    await probe
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")
    for start, end, thread, name, cpu in sorted(EVENTS):
        print(f"{start:7.2f} -> {end:7.2f}  ({end - start:5.2f} s wall, {cpu:5.2f} s CPU)  {thread:24s} {name}")
    by_gen: dict[int, list[float]] = {}
    for _, gen, took in GCS:
        by_gen.setdefault(gen, []).append(took)
    for gen, took in sorted(by_gen.items()):
        print(f"gc generation {gen}: {len(took)} collections, {sum(took):.2f} s")
    big = [(s, g, d) for s, g, d in GCS if d > 0.05]
    print("collections over 50 ms:", ", ".join(f"{s:.2f}s g{g} {d:.2f}s" for s, g, d in big) or "none")
    print(f"event loop late by > 50 ms: {len(lags)} times, {sum(d for _, d in lags):.2f} s in all; worst:",
          ", ".join(f"{s:.2f}s +{d:.2f}" for s, d in sorted(lags, key=lambda x: -x[1])[:5]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", type=Path, required=True, help="a world written by estate_memory.py --world")
    ap.add_argument("--layout", choices=("alerts1", "alerts4"), default="alerts1")
    args = ap.parse_args()
    instrument()
    gc.callbacks.append(on_gc)
    asyncio.run(run(args.world, args.layout))


if __name__ == "__main__":
    main()
