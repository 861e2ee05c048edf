"""How many tokens each tool's answer costs a model, on the demo and on a large generated world.

    python benchmarks/answer_tokens.py                         # demo + 5,000 services / 10,000 alerts
    python benchmarks/answer_tokens.py --services 50000 --alerts 100000
    python benchmarks/answer_tokens.py --keep /tmp/large       # keep the large world's files
    python benchmarks/answer_tokens.py --heldout --seeds 1      # how often held-out answers are cut

Tokens are counted as :mod:`evalkit.tokens` documents (tiktoken's o200k_base over the compact
JSON of the structured answer; ``tools/list`` over each tool's whole entry). The large world is
the scale benchmark's estate and alerts (``bench_correlate._scenario``: the same generator and
seed) written in the vendors' formats (Backstage catalog, Alertmanager v2 JSON, CDEvents), plus
one generated Markdown runbook per ten services and an escalation policy per team, served by
``opscontext`` from those files through the official MCP client in memory. Its time anchor is
the scenario's "now", so the default windows see the incidents as live.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from machine import machine  # benchmarks/machine.py, beside this script
from mcp import Client

from evalkit.tokens import count_json
from opscontext.cache import MemoryCache
from opscontext.server import build_server
from opscontext.settings import load

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "demo" / "opscontext.toml"
BUDGET = 2_000
DEMO_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("who_owns", {"service": "payment-service"}),
    ("what_changed", {}),
    ("blast_radius", {"service": "payments-db"}),
    ("get_runbook", {"service": "payment-service"}),
    ("correlate_alerts", {}),
    ("service_health", {}),
    ("incident_context", {"subject": "checkout-service"}),
]
EXTRA = """
[world]
time_anchor = "{now}"

[connectors.runbooks]
type = "runbooks"
path = "runbooks"

[connectors.escalation]
type = "escalation"
path = "escalation.yaml"
"""


def write_large_world(out: Path, services: int, alerts: int, seed: int) -> dict[str, str]:
    """The large world under ``out``; returns the services the table's calls name."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_correlate import _scenario

    from evalkit.classic.export import _iso, write

    _graph, scenario, topology = _scenario(services, alerts, seed)
    write(scenario, out)
    with (out / "opscontext.toml").open("a", encoding="utf-8") as f:
        f.write(EXTRA.format(now=_iso(scenario.now)))
    names = [s.name for s in topology.services]
    _runbooks(out / "runbooks", names)
    teams = sorted({f"team-{i}" for i in range(max(1, len(names) // 4))})
    policies = [{"name": f"{t}-default", "team": t, "steps": [
        {"after": "0m", "target": f"{t}-primary", "kind": "schedule"},
        {"after": "15m", "target": f"{t} lead", "kind": "role"},
        {"after": "30m", "target": "Director of Engineering", "kind": "role"}]} for t in teams]
    doc = {"apiVersion": "opscontext.io/v1", "kind": "EscalationPolicyList", "policies": policies}
    (out / "escalation.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    indegree: dict[str, int] = {}
    for e in topology.edges:
        indegree[e.dependency] = indegree.get(e.dependency, 0) + 1
    hub = max(indegree, key=lambda n: indegree[n])
    busiest = max(scenario.incidents, key=lambda i: len(i.fingerprints)).root if scenario.incidents else names[0]
    return {"hub": hub, "root": busiest}


def _runbooks(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(0, len(names), 10):
        group = names[i:i + 10]
        body = [f"---\ntitle: {group[0]} and neighbours\nservices: [{', '.join(group)}]\n"
                f"alerts: [HighErrorRate, HighLatency]\n---\n\n# {group[0]} and neighbours\n"]
        for heading, text in (("High error rate", "Check the last deploy; roll back if it correlates."),
                              ("High latency", "Look at the database and the connection pool saturation."),
                              ("Escalation", "Page the owning team's lead after 15 minutes.")):
            body.append(f"\n## {heading}\n\n{text} " + "Dashboards and logs are linked from the catalog. " * 4)
        (folder / f"rb-{i // 10:05d}.md").write_text("".join(body), encoding="utf-8")


async def measure(
    toml: Path, calls: list[tuple[str, dict[str, Any]]]
) -> tuple[dict[str, int], list[tuple[str, str, int]]]:
    """Tokens of each tool's ``tools/list`` entry, and (tool, arguments, tokens) of each call's
    structured answer."""
    rows = []
    async with Client(build_server(load(toml), cache=MemoryCache())) as client:
        listed = {t.name: count_json(t.model_dump(by_alias=True, exclude_none=True))
                  for t in (await client.list_tools()).tools}
        for tool, args in calls:
            result = await client.call_tool(tool, args, read_timeout_seconds=600)
            if result.is_error:
                raise SystemExit(f"{tool} {args} failed: {result.content}")
            shown = ", ".join(f"{k}={v}" for k, v in args.items()) or "(defaults)"
            rows.append((tool, shown, count_json(result.structured_content)))
    return listed, rows


async def heldout(seeds: int) -> None:
    """How often ``correlate_alerts``' default answer cuts anything on the held-out worlds (every
    family and cell, the real and file topologies), called as ``evalkit.product`` calls it."""
    from evalkit.classic.export import _iso
    from evalkit.harness import FAMILY_MODULES, make_world, tasks
    from evalkit.product import WINDOW, export
    from evalkit.topologies import files, real

    rows = []
    for task in tasks(sorted(FAMILY_MODULES), [*real(), *files()], range(seeds), None):
        world = make_world(task)
        with tempfile.TemporaryDirectory(prefix="oc-heldout-") as tmp:
            export(world, Path(tmp))
            async with Client(build_server(load(Path(tmp) / "opscontext.toml"), cache=MemoryCache())) as client:
                result = await client.call_tool("correlate_alerts",
                                                {"since": _iso(world.now - WINDOW), "until": _iso(world.now)})
        answer = result.structured_content or {}
        cut_fps = sum(g.get("fingerprints_omitted", 0) for g in answer["groups"])
        rows.append((task, count_json(answer), cut_fps, answer["groups_omitted"]))
        if cut_fps or answer["groups_omitted"]:
            print(f"cut: {task.family}/{task.cell} on {task.topology} seed {task.seed}: {rows[-1][1]:,} tokens, "
                  f"{cut_fps} fingerprints and {answer['groups_omitted']} groups left out")
    tokens = sorted(r[1] for r in rows)
    print(f"\n{len(rows)} worlds: median {tokens[len(tokens) // 2]:,} tokens, max {tokens[-1]:,}; "
          f"fingerprints cut in {sum(1 for r in rows if r[2])}, groups left out in {sum(1 for r in rows if r[3])}, "
          f"anything cut in {sum(1 for r in rows if r[2] or r[3])}")


def table(title: str, rows: list[tuple[str, str, int]]) -> str:
    lines = [f"**{title}**", "", "| tool | arguments | tokens | within 2,000 |", "|---|---|---|---|"]
    lines += [f"| {tool} | {args} | {n:,} | {'yes' if n <= BUDGET else 'NO'} |" for tool, args, n in rows]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--services", type=int, default=5_000)
    p.add_argument("--alerts", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--keep", type=Path, help="write the large world here and keep it")
    p.add_argument("--heldout", action="store_true", help="only count cut answers on the held-out worlds")
    p.add_argument("--seeds", type=int, default=1, help="held-out seeds per cell and topology")
    args = p.parse_args()
    logging.disable(logging.INFO)  # the audit log would interleave with the table
    if args.heldout:
        asyncio.run(heldout(args.seeds))
        return
    print(f"machine: {machine()}\n")
    listed, demo = asyncio.run(measure(DEMO, DEMO_CALLS))
    print(f"tools/list: {sum(listed.values()):,} tokens for {len(listed)} tools (issue 9's goal: 3,000)")
    print("per tool: " + ", ".join(f"{name} {n:,}" for name, n in listed.items()) + "\n")
    print(table("demo world", demo) + "\n")
    with tempfile.TemporaryDirectory(prefix="oc-large-") as tmp:
        out = args.keep or Path(tmp)
        names = write_large_world(out, args.services, args.alerts, args.seed)
        calls: list[tuple[str, dict[str, Any]]] = [
            ("who_owns", {"service": names["root"]}),
            ("what_changed", {}),
            ("blast_radius", {"service": names["hub"]}),
            ("get_runbook", {"service": names["root"]}),
            ("correlate_alerts", {}),
            ("correlate_alerts", {"since": "25h"}),
            ("incident_context", {"subject": names["root"]}),
        ]
        _, large = asyncio.run(measure(out / "opscontext.toml", calls))
    print(table(f"large world: {args.services:,} services, {args.alerts:,} alerts (seed {args.seed})", large))


if __name__ == "__main__":
    main()
