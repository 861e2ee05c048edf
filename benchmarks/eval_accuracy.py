"""Correlation accuracy over seeded scenarios, against baselines, written to RESULTS.md.

    python benchmarks/eval_accuracy.py --seeds 50

Runs the bundled real topologies (and a synthetic 2,000-service estate) over test seeds
0..N-1 (never the training seeds used to set weights and fit calibration), and replaces the
``## Correlation accuracy`` section of ``benchmarks/RESULTS.md``; other sections are left alone.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from evalkit.classic.metrics import Score, calibration_table
from evalkit.classic.runner import FIELDS, OURS, TRAIN_SEEDS, aggregate, pooled, run
from evalkit.classic.topologies import bundled, synthetic

RESULTS = Path(__file__).parent / "RESULTS.md"
HEADING = "## Correlation accuracy"
LABELS = {"ac1": "AC@1", "ac3": "AC@3", "precision": "pair P", "recall": "pair R", "f1": "pair F1",
          "noise_reduction": "noise red."}


def table(results: dict[str, list[Score]]) -> list[str]:
    head = "| method | " + " | ".join(LABELS[f] for f in FIELDS) + " |"
    rows = [head, "|" + "---|" * (len(FIELDS) + 1)]
    for method, scores in results.items():
        agg = aggregate(scores)
        name = f"**{method}**" if method == OURS else method
        rows.append(f"| {name} | " + " | ".join(str(agg[f]) for f in FIELDS) + " |")
    return rows


def section(seeds: int, per_topology: dict[str, dict[str, list[Score]]], synth_seeds: int, cmd: str) -> str:
    real = [n for n in per_topology if not n.startswith("synthetic")]
    lines = [HEADING, "", "**These figures are from the generator the ranking was tuned on** (the cascade family): "
             "they show it still does what it was tuned to do, not how it does elsewhere. For worlds it was "
             "not tuned on see `## Held-out correlation accuracy` below.", "",
             f"Reproduce: `{cmd}` (test seeds 0..{seeds - 1}; weights and calibration "
             f"were set on training seeds {TRAIN_SEEDS.start}..{TRAIN_SEEDS.stop - 1} only). "
             "Cells are mean ± standard deviation over seeds; every method sees the same scenarios.", "",
             "Metrics: AC@k = the injected root is among the top k candidates of the group holding most "
             "of the incident's alerts; pair P/R/F1 = pairwise precision/recall/F1 of grouping over alert "
             "fingerprints (noise alerts are singletons in the truth); noise red. = 1 - groups/alerts in. "
             "Baselines 'earliest alert' and 'random root' rank inside our groups, so their grouping "
             "columns equal ours.", "",
             "Scenarios: 3-5 incidents in 4 hours with noise, flapping, duplicates, silent hops and "
             "roots, innocent deploys. About 4 in 10 scenarios also start a second incident within two "
             "minutes of a running one, down another branch under a caller they share (a gateway or "
             "front end); that caller alerts for both, with route labels naming the backend 7 times "
             "in 10 and nothing but timing otherwise. Numbers from before that pattern existed "
             "(commit 8b1a47d) are not comparable.", ""]
    pooled_by_method: dict[str, list[Score]] = {}
    for name in real:
        for method, scores in per_topology[name].items():
            pooled_by_method.setdefault(method, []).extend(scores)
    lines += ["### All three real topologies pooled", "", *table(pooled_by_method), ""]
    for name, results in per_topology.items():
        note = f" ({synth_seeds} seeds)" if name.startswith("synthetic") else ""
        lines += [f"### {name}{note}", "", *table(results), ""]
    ours = [s for name in real for s in per_topology[name][OURS]]
    lines += ["### Calibration (real topologies, test seeds)", "",
              "| confidence | incidents | mean confidence | top-1 accuracy |", "|---|---|---|---|"]
    points = [p for s in ours for p in s.confidences]
    for label, n, c, acc in calibration_table(points):
        lines.append(f"| {label} | {n} | {c:.3f} | {acc:.3f} |")
    agg = pooled([ours])
    lines += ["", "### Where the noise reduction comes from", "",
              f"Over the real topologies {agg['noise_reduction'].mean:.1%} fewer things to read: duplicate "
              "deliveries (same fingerprint and start) are dropped; a fingerprint re-firing within 60 min "
              "is one flapping alert; alerts on services a couple of hops apart (shared dependency or "
              "a dependency chain) whose onsets are within 5 min join one incident (a dependency that starts "
              "alerting while its callers still fire joins them up to 15 min after each onset), except that a caller "
              "explained by two incidents at once (a shared gateway, the callers of an alerting hub) joins "
              "neither and its alerts go, one route at a time, to the incident they fit; an alerting hub "
              "(over 40 dependents) explains its callers only when more of them alert around it than "
              "their own rate over the window makes likely by chance; a lone non-critical "
              "alert with nothing related around it is listed after the incidents as a lone warning "
              "(possible noise) and not counted as one. Each answer's `explanation` gives these counts "
              "for that window.", ""]
    return "\n".join(lines)


def write_section(text: str) -> None:
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    new = pattern.sub(lambda _: text + "\n", old) if pattern.search(old) else old.rstrip("\n") + "\n\n" + text + "\n"
    RESULTS.write_text(new, encoding="utf-8")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=50)
    p.add_argument("--synthetic", type=int, default=2000, help="services in the synthetic estate (0: skip)")
    p.add_argument("--synthetic-seeds", type=int, default=10)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    t = time.perf_counter()
    per: dict[str, dict[str, list[Score]]] = {}
    for topo in bundled():
        per[topo.name] = run(topo, range(args.seeds))
    if args.synthetic:
        per[f"synthetic-{args.synthetic}"] = run(synthetic(args.synthetic), range(args.synthetic_seeds))
    cmd = "python benchmarks/eval_accuracy.py " + " ".join(sys.argv[1:])
    text = section(args.seeds, per, args.synthetic_seeds, cmd.strip())
    print(text)
    if not args.no_write:
        write_section(text)
    print(f"({time.perf_counter() - t:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
