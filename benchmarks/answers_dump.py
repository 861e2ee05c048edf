"""The tools' answers on a written world as JSON, to compare two versions byte for byte.

    python benchmarks/answers_dump.py --world /tmp/w50k --layout alerts4 > branch.jsonl
    PYTHONPATH=/tmp/main/src:/tmp/main/connectors:/tmp/main python benchmarks/answers_dump.py \\
        --world /tmp/w50k --layout alerts4 > main.jsonl && cmp main.jsonl branch.jsonl

Opens the app as ``opscontext serve`` does (background load started at once, clock fixed at the
end of the world's alert window so ages and windows do not move between runs) and asks, as the
MCP tools ask: ``correlate_alerts`` over the whole window, its second page (``cursor``), the
first group's members (``group_id``), filtered by the busiest service and by the first group's
primary, over a window wider than the alerts and over the default window, ``blast_radius`` of
the busiest service, ``what_changed`` (all, and for that service), and ``who_owns`` of it. One
JSON line per answer. ``--at-once`` asks while the load runs; otherwise after it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from opscontext import settings as loaded_settings
from opscontext.app import open_app
from opscontext.queries.blast import blast
from opscontext.queries.correlate import correlate_alerts
from opscontext.queries.what_changed import what_changed
from opscontext.queries.who_owns import who_owns


def line(name: str, answer: Any) -> None:
    sys.stdout.write(f"{name}\t{answer.model_dump_json()}\n")


async def run(world: Path, layout: str, at_once: bool) -> None:
    meta = json.loads((world / "meta.json").read_text())
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="oc-dump-")
    settings = loaded_settings.load(world / f"{layout}.toml")
    since, until, hub = meta["window"]["since"], meta["window"]["until"], meta["hub"]
    now = datetime.fromisoformat(until.replace("Z", "+00:00"))
    async with open_app(settings, preload=True, clock=lambda: now) as app:
        if not at_once and app.loading is not None:
            await app.loading
        budget = app.settings.limits.answer_tokens
        line("blast_radius", await blast(app, hub, budget=budget))
        first = await correlate_alerts(app, since, until, budget=budget)
        line("correlate_alerts", first)
        if first.next_cursor:
            line("correlate_alerts cursor", await correlate_alerts(app, since, until, cursor=first.next_cursor,
                                                                   budget=budget))
        if first.groups:
            group = first.groups[0].id
            line("correlate_alerts group_id", await correlate_alerts(app, since, until, group_id=group,
                                                                     budget=budget))
        line("correlate_alerts service", await correlate_alerts(app, since, until, service=hub, budget=budget))
        if first.groups:
            top = first.groups[0].primary_contributor
            line("correlate_alerts service of the first group",
                 await correlate_alerts(app, since, until, service=top, budget=budget))
        # A window covering every alert of the snapshot (its kept onsets reused whole), and the
        # default window (the last two hours: most of them left out, worked out afresh).
        line("correlate_alerts whole snapshot", await correlate_alerts(app, _shift(since, -1), _shift(until, 1),
                                                                       budget=budget))
        line("correlate_alerts default window", await correlate_alerts(app, budget=budget))
        line("what_changed", await what_changed(app, None, since, until, budget=budget))
        line("what_changed service", await what_changed(app, hub, since, until, budget=budget))
        line("who_owns", await who_owns(app, hub, budget=budget))


def _shift(at: str, days: int) -> str:
    moved = datetime.fromisoformat(at.replace("Z", "+00:00")) + timedelta(days=days)
    return moved.isoformat().replace("+00:00", "Z")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", type=Path, required=True, help="a world written by estate_memory.py --world")
    ap.add_argument("--layout", choices=("alerts1", "alerts4"), default="alerts1")
    ap.add_argument("--at-once", action="store_true", help="ask while the background load runs")
    args = ap.parse_args()
    asyncio.run(run(args.world, args.layout, args.at_once))


if __name__ == "__main__":
    main()
