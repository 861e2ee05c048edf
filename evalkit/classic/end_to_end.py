"""Accuracy through the whole product, not just the engine.

    python -m evalkit.classic.end_to_end --seeds 10 [--write]

For every bundled topology and seed the scenario is exported as a world in the vendors' own
formats (:mod:`evalkit.classic.export`: Backstage catalog, Alertmanager alert snapshots,
CDEvents), loaded the way a user's configuration is (``settings.load`` -> ``open_app`` -> the
``correlate_alerts`` tool with a window covering the scenario), and the answer's groups are
scored against the exported ``truth.json`` with the same metrics as the engine-only run. So
connectors, identity resolution of alert labels, the hub's window filtering, change lookback
and the answer's group cap are all in the loop. The same scenario is also scored engine-only,
so any gap between the two is visible per seed. The demo world is scored against its own
``ground_truth.json`` with the tool's default window (its time anchor makes "now" work).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from evalkit.classic import export
from evalkit.classic.baselines import ours
from evalkit.classic.metrics import Prediction, Score, score
from evalkit.classic.report import HEADING, end_to_end_section, replace_section
from evalkit.classic.scenario import generate
from evalkit.classic.topologies import Topology, bundled
from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.queries.correlate import CorrelationAnswer, correlate_alerts
from opscontext.settings import load

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"

@dataclass(frozen=True)
class TrueIncident:
    root: str
    fingerprints: frozenset[str]


@dataclass(frozen=True)
class Truth:
    incidents: list[TrueIncident]
    noise: frozenset[str] = field(default_factory=frozenset)

    def truth(self) -> dict[str, str]:
        out = {fp: fp for fp in self.noise}
        for k, inc in enumerate(self.incidents):
            out.update(dict.fromkeys(inc.fingerprints, f"incident-{k}"))
        return out


def exported_truth(path: Path) -> Truth:
    """``truth.json`` as :func:`evalkit.classic.export.write` leaves it."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    incidents = [TrueIncident(i["root"], frozenset(i["fingerprints"])) for i in raw["incidents"]]
    return Truth(incidents, frozenset(raw["noise"]))


def demo_truth(path: Path) -> Truth:
    """The demo world's ``ground_truth.json``; flapping alerts outside every cause are noise."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    incidents = [TrueIncident(c["service"], frozenset(c["alert_fingerprints"])) for c in raw["root_causes"]]
    caused = {fp for inc in incidents for fp in inc.fingerprints}
    noise = set(raw.get("noise_fingerprints", [])) | (set(raw.get("flapping_fingerprints", [])) - caused)
    return Truth(incidents, frozenset(noise))


def prediction(answer: CorrelationAnswer) -> Prediction:
    return Prediction.of(answer)


async def ask(toml: Path, since: datetime | None = None, until: datetime | None = None) -> CorrelationAnswer:
    """One ``correlate_alerts`` call through the real product (settings, registry, hub, world)."""
    settings = load(toml)
    async with open_app(settings, cache=MemoryCache()) as app:
        return await correlate_alerts(
            app, since.isoformat() if since else None, until.isoformat() if until else None
        )


def score_answer(truth: Truth, answer: CorrelationAnswer) -> Score:
    # Groups the answer left out to stay small still count as groups read by nobody: their
    # alerts are scored as ungrouped, and noise reduction counts them as groups.
    s = score(truth, prediction(answer), answer.alerts_in)
    groups = len(answer.groups) + answer.groups_omitted
    nr = 1 - groups / answer.alerts_in if answer.alerts_in else 0.0
    return Score(s.ac1, s.ac3, s.precision, s.recall, s.f1, nr, s.incidents, s.confidences)


async def exported_run(topology: Topology, seed: int, hours: float = 4.0) -> tuple[Score, Score]:
    """(end to end, engine only) for one seeded scenario."""
    sc = generate(topology, seed)
    with tempfile.TemporaryDirectory(prefix=f"oc-e2e-{topology.name}-") as tmp:
        out = Path(tmp)
        export.write(sc, out)
        truth = exported_truth(out / "truth.json")
        answer = await ask(out / "opscontext.toml", sc.now - timedelta(hours=hours + 1), sc.now)
    pred, corr = ours(sc)
    return score_answer(truth, answer), score(sc, pred, corr.alerts_in)


async def demo_run(root: Path = DEMO) -> Score:
    answer = await ask(root / "opscontext.toml")
    return score_answer(demo_truth(root / "ground_truth.json"), answer)


async def run(topologies: Iterable[Topology], seeds: Sequence[int]) -> dict[str, tuple[list[Score], list[Score]]]:
    out: dict[str, tuple[list[Score], list[Score]]] = {}
    for t in topologies:
        e2e: list[Score] = []
        engine: list[Score] = []
        for seed in seeds:
            a, b = await exported_run(t, seed)
            e2e.append(a)
            engine.append(b)
        out[t.name] = (e2e, engine)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=10, help="test seeds 0..N-1 per topology")
    p.add_argument("--write", type=Path, nargs="?", const=Path("benchmarks/RESULTS.md"), default=None,
                   help="replace the end-to-end section of this results file")
    args = p.parse_args(argv)
    results = asyncio.run(run(bundled(), range(args.seeds)))
    demo = asyncio.run(demo_run())
    text = end_to_end_section(results, demo, args.seeds, f"python -m evalkit.classic.end_to_end --seeds {args.seeds}")
    print(text)
    if args.write is not None:
        replace_section(args.write, HEADING, text)


if __name__ == "__main__":
    main()
