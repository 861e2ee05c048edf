"""Score worlds through the path a user takes: files -> connectors -> hub -> engine -> MCP answer.

    python -m evalkit.product --families metric_rules --seeds 3

Each world is written in the vendors' own formats (Backstage catalog, Alertmanager v2 alert
list, CDEvents; :mod:`evalkit.classic.export`), ``opscontext serve --config`` is started over
stdio as a desktop client would, ``correlate_alerts`` is called with the official MCP client,
and the structured answer is scored against the world's truth beside the engine-only run of the
same world. A gap between the two is what connectors, identity resolution, the hub's window
filter and the answer's caps cost.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from mcp import Client, StdioServerParameters

from evalkit.classic.export import TOML, _iso, alertmanager_alert, catalog, cdevent, webhook_recording
from evalkit.classic.metrics import Prediction, Score, score
from evalkit.classic.topologies import Topology
from evalkit.cli import world_tasks
from evalkit.harness import FAMILY_MODULES, Task, make_world, ours
from evalkit.health import readings
from evalkit.prom_model import TOML as HEALTH_TOML
from evalkit.prom_model import PrometheusModel
from evalkit.report import aggregate
from evalkit.stale import stale
from evalkit.stretch import stretch
from evalkit.world import World
from opscontext.engine.identity import POD_ALPHABET, POD_LABELS, pod_owners
from opscontext.promfamily import DEFAULT_SERVICE_LABELS

WINDOW = timedelta(hours=8)
# How Kubernetes and OpenTelemetry pipelines name an alert's service (``--spell kubernetes``):
# a Helm release's workloads are ``<release>-<component>`` (the demo's documented install is
# ``helm install my-otel-demo ...``), OpenTelemetry's Prometheus exporters set ``job`` to
# ``<service.namespace>/<service.name>``, kept as ``exported_job`` when Prometheus scrapes the
# collector.
RELEASE, NAMESPACE = "my-otel-demo", "opentelemetry-demo"


def _generated(seed: str, n: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(POD_ALPHABET[b % len(POD_ALPHABET)] for b in digest[:n])


def respelled(labels: dict[str, str], fingerprint: str) -> dict[str, str]:
    """``labels`` with the labels naming the service replaced by one of four ways real pipelines
    name it, picked by the alert's fingerprint: a kube-state-metrics pod of the release, the
    release's Deployment, an OpenTelemetry job behind a collector scrape, or a spanmetrics
    ``service_name`` (kept plain). Pods of the service get the release prefix; every other label
    (call labels naming other services included) is kept."""
    key = next((k for k in DEFAULT_SERVICE_LABELS if labels.get(k)), None)
    if key is None:
        return labels
    service = labels[key]
    # Every label spelling the service goes, and the release's pods carry its prefix too: one
    # alert names its service one way throughout.
    out = {k: v for k, v in labels.items() if not (k in DEFAULT_SERVICE_LABELS and v == service)}
    for k in POD_LABELS:
        pod = out.get(k)
        if pod and service.lower() in pod_owners(pod):
            out[k] = f"{RELEASE}-{pod}"
    way = int(hashlib.sha256(fingerprint.encode()).hexdigest(), 16) % 4
    if way == 0:
        pod = f"{RELEASE}-{service}-{_generated(service, 10)}-{_generated(service + fingerprint, 5)}"
        out.update(job="kube-state-metrics", namespace="otel-demo", pod=pod)
    elif way == 1:
        out.update(job="kube-state-metrics", namespace="otel-demo", deployment=f"{RELEASE}-{service}")
    elif way == 2:
        out.update(job="otel-collector", exported_job=f"{NAMESPACE}/{service}")
    else:
        out["service_name"] = service
    return out


def export(world: World, out: Path, health_port: int | None = None, webhook: bool = False,
           spell: str = "generated") -> None:
    """``world`` as a directory a user could point ``opscontext`` at (truth.json beside it);
    ``health_port``: also a ``prometheus`` health source there (:mod:`evalkit.prom_model`);
    ``webhook``: alerts as a recording of webhook notifications instead of an API answer;
    ``spell="kubernetes"``: services named in alerts as :func:`respelled` does."""
    for sub in ("catalog", "alerts", "changes"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    t = Topology(world.topology, world.services, world.edges)
    toml = TOML.format(topology=t.name, seed=world.seed)
    if health_port is not None:
        toml += HEALTH_TOML.format(port=health_port)
    (out / "opscontext.toml").write_text(toml, encoding="utf-8")
    (out / "catalog" / "catalog.yaml").write_text(yaml.safe_dump_all(catalog(t), sort_keys=False), encoding="utf-8")
    written = world.alerts
    if spell == "kubernetes":
        written = [a.model_copy(update={"labels": respelled(a.labels, a.fingerprint)}) for a in written]
    alerts = (webhook_recording(written, world.now) if webhook
              else [alertmanager_alert(a, world.now) for a in written])
    (out / "alerts" / "alerts.json").write_text(json.dumps(alerts), encoding="utf-8")
    lines = [json.dumps(cdevent(c)) for c in world.changes]
    (out / "changes" / "changes.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    truth = {"now": _iso(world.now), "noise": sorted(world.noise),
             "incidents": [{"id": i.id, "root": i.root, "fingerprints": sorted(i.fingerprints)}
                           for i in world.incidents]}
    (out / "truth.json").write_text(json.dumps(truth), encoding="utf-8")


async def ask(toml: Path, world: World) -> tuple[dict[str, Any], float, float]:
    """``correlate_alerts`` twice on a fresh ``opscontext serve`` over stdio: the answer, and the
    seconds of the first call (cold: files parsed, graph built) and of the second (warm).

    The answer is then read whole, as a careful client would: every page of groups
    (``next_cursor``) and, for a group whose first page lists only part of its fingerprints (the
    token budget cuts large groups), every page of its members (``group_id``). Scoring only what
    the first page shows would count the budget's cuts as grouping errors."""
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "opscontext", "serve", "--config", str(toml), "--log-level", "error"])
    args = {"since": _iso(world.now - WINDOW), "until": _iso(world.now)}
    async with Client(params, read_timeout_seconds=120) as client:
        took: list[float] = []
        for _ in range(2):
            t0 = time.perf_counter()
            answer = await _call(client, args)
            took.append(time.perf_counter() - t0)
        return await _whole(client, args, answer), took[0], took[1]


async def _call(client: Client, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool("correlate_alerts", args)
    if result.is_error:
        raise RuntimeError(f"correlate_alerts failed: {result.content}")
    return result.structured_content or {}


async def _whole(client: Client, args: dict[str, Any], first: dict[str, Any]) -> dict[str, Any]:
    """``first`` with the groups of every later page, each group with all of its fingerprints."""
    groups: list[dict[str, Any]] = []
    page = first
    while True:
        groups.extend(page.get("groups", []))
        cursor = page.get("next_cursor")
        if not cursor:
            break
        page = await _call(client, {"cursor": cursor})
    for g in groups:
        if not g.get("fingerprints_omitted"):
            continue
        total = len(g["fingerprints"]) + g["fingerprints_omitted"]
        fps: list[str] = []
        member = await _call(client, {**args, "group_id": g["id"]})
        while True:
            fps.extend(member["groups"][0]["fingerprints"])
            cursor = member.get("next_cursor")
            if not cursor or len(fps) >= total:  # the pages after the fingerprints list services
                break
            member = await _call(client, {"group_id": g["id"], "cursor": cursor})
        g["fingerprints"] = fps
    return {**first, "groups": groups}


def prediction(answer: dict[str, Any]) -> Prediction:
    return Prediction([(g["fingerprints"], [c["service"] for c in g["candidates"]], g["confidence"])
                       for g in answer.get("groups", [])], int(answer.get("lone_warnings", 0)))


async def run_one(
    task: Task, health: bool = False, webhook: bool = False, missing: float = 0.0, spell: str = "generated",
    slower: float = 1.0,
) -> tuple[Score, Score, float, float]:
    """(through the product, engine only, cold call seconds, warm call seconds) for one world;
    ``health``: with the world's modelled health source served over Prometheus' API;
    ``webhook``: the alerts recorded from webhook notifications (:func:`webhook_recording`);
    ``missing``: that share of its dependencies left out of the catalog written
    (:func:`evalkit.stale.stale`); ``spell``: see :func:`export`; ``slower``: every incident that
    many times slower (:func:`evalkit.stretch.stretch`)."""
    world = stale(stretch(make_world(task), slower), missing)
    prom = PrometheusModel(readings(world)) if health else None
    try:
        with tempfile.TemporaryDirectory(prefix="oc-product-") as tmp:
            out = Path(tmp)
            export(world, out, prom.port if prom else None, webhook, spell)
            answer, cold, warm = await ask(out / "opscontext.toml", world)
    finally:
        if prom is not None:
            prom.close()
    pred, corr = ours(world, health=health)
    return score(world, prediction(answer), answer.get("alerts_in", 0)), score(world, pred, corr.alerts_in), cold, warm


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", nargs="+", default=["metric_rules"], choices=sorted(FAMILY_MODULES))
    p.add_argument("--topologies", nargs="*")
    p.add_argument("--cells", nargs="*")
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--health", action="store_true",
                   help="also serve each world's modelled health source over Prometheus' API (loopback)")
    p.add_argument("--missing", type=float, default=0.0,
                   help="leave this share (0-1) of the dependencies out of the catalog written (a stale catalog)")
    p.add_argument("--alerts-as", choices=("api", "webhook"), default="api",
                   help="write alerts as a GET /api/v2/alerts answer (default) or as recorded webhook notifications")
    p.add_argument("--spell", choices=("generated", "kubernetes"), default="generated",
                   help="name services in alerts as generated (a service label), or as Kubernetes and "
                        "OpenTelemetry pipelines do: Helm release pods and Deployments, namespace/name jobs")
    p.add_argument("--slower", type=float, default=1.0, metavar="K",
                   help="replay every incident K times slower (evalkit.stretch) before writing its files")
    args = p.parse_args()
    if not 1 <= args.slower <= 20:
        p.error("--slower takes a factor from 1 (as generated) to 20")
    if not 0 <= args.missing < 1:
        p.error("--missing takes a share from 0 up to (not including) 1")
    todo = world_tasks(p, args)
    product: list[Score] = []
    engine: list[Score] = []
    colds: list[float] = []
    warms: list[float] = []
    for task in todo:
        a, b, cold, warm = asyncio.run(run_one(task, args.health, args.alerts_as == "webhook", args.missing,
                                               args.spell, args.slower))
        product.append(a)
        engine.append(b)
        colds.append(cold)
        warms.append(warm)
    from evalkit.harness import OURS, Row

    for name, scores in (("through MCP stdio", product), ("engine only", engine)):
        agg = aggregate([Row(t, OURS, s, 0) for t, s in zip(todo, scores, strict=True)])
        print(f"{name:18s} worlds {agg.worlds} incidents {agg.incidents} AC@1 {agg.ac1:.3f} AC@3 {agg.ac3:.3f} "
              f"pair P {agg.precision:.3f} R {agg.recall:.3f} F1 {agg.f1:.3f} wrong<0.5 {agg.wrong_low_conf:.2f}")
    for name, times in (("cold call (first after start)", sorted(colds)), ("warm call", sorted(warms))):
        print(f"{name}: median {times[len(times) // 2] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
