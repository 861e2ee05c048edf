#!/usr/bin/env python3
"""Generate the opscontext demo world (Larkspur Outfitters, mid-incident) into a directory.

    python scripts/make_demo_world.py --out fixtures/demo

Output is byte-identical on every run: one fixed seed, one fixed time anchor, no wall clock.
Files are written in each vendor's or standard's own format (Backstage YAML, iCalendar,
CDEvents JSON lines, Alertmanager API JSON, Markdown runbooks). Only the generated
subdirectories are cleared before writing; other files in --out are left alone.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_world import alerts, catalog, changes, oncall, readme, runbooks, slos, truth
from demo_world.world import ANCHOR, COMPANY, SEED, SYSTEMS, TEAMS

GENERATED_DIRS = {"catalog": ".yaml", "oncall": ".ics", "runbooks": ".md", "changes": ".jsonl",
                  "alerts": ".json", "slos": ".yaml", "metrics": ".om"}

CONFIG = f"""# The demo world: {COMPANY}, recorded mid-incident.
# time_anchor is "now" in the recording; the server shifts every timestamp by (now - anchor) at
# load, so the incident is always live. Paths are relative to this file.

[world]
name = "{COMPANY}"
time_anchor = "{ANCHOR.strftime('%Y-%m-%dT%H:%M:%SZ')}"

[connectors.catalog]
type = "backstage"
path = "catalog"

[connectors.alerts]
type = "alertmanager"
path = "alerts"

[connectors.changes]
type = "cdevents"
path = "changes"

[connectors.runbooks]
type = "runbooks"
path = "runbooks"

[connectors.oncall]
type = "ical"
path = "oncall"

[connectors.escalation]
type = "escalation"
path = "escalation.yaml"

[connectors.slos]
type = "openslo"
path = "slos"
data_sources = {{ {slos.DATA_SOURCE} = "metrics" }}

# Recorded request metrics (OpenMetrics) standing in for the estate's Prometheus: the demo has no
# live one. With a real Prometheus, configure a `prometheus` connector and name it here instead.
[connectors.metrics]
type = "openmetrics"
path = "metrics"
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def _yaml_docs(docs: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False, explicit_start=True, width=100,
                              allow_unicode=True)


def _clear(out: Path) -> None:
    for sub, suffix in GENERATED_DIRS.items():
        for old in sorted((out / sub).rglob(f"*{suffix}")) if (out / sub).is_dir() else []:
            old.unlink()


def generate(out: Path) -> dict[str, Any]:
    rng = random.Random(SEED)
    _clear(out)
    for system in SYSTEMS:
        _write(out / "catalog" / system / "catalog-info.yaml", _yaml_docs(catalog.system_docs(system)))
    _write(out / "catalog" / "org" / "catalog-info.yaml", _yaml_docs(catalog.org_docs()))
    for team in TEAMS:
        for level in (1, 2):
            cal = oncall.calendar(team, level)
            _write(out / "oncall" / f"{oncall.schedule_name(team, level)}.ics", cal.to_ical().decode())
    escalation = oncall.escalation_doc()
    _write(out / "escalation.yaml", yaml.safe_dump(escalation, sort_keys=False, width=100))
    for rb in runbooks.RUNBOOKS:
        _write(out / "runbooks" / rb.file, runbooks.render(rb))
    lines, ids = changes.build(random.Random(rng.getrandbits(64)))
    _write(out / "changes" / "changes.jsonl", "\n".join(lines) + "\n")
    built, _ = alerts.build(random.Random(rng.getrandbits(64)))
    _check_unique(built)
    for offset in alerts.SNAPSHOTS:
        at = ANCHOR.timestamp() + offset
        name = f"alerts-{_stamp(at)}.json"
        _write(out / "alerts" / name, json.dumps(alerts.snapshot(built, offset), indent=1) + "\n")
    for name, docs in slos.documents().items():
        _write(out / "slos" / name, _yaml_docs(docs))
    _write(out / "metrics" / "requests.om", slos.openmetrics())
    gt = truth.ground_truth(built, lines, ids, escalation)
    _write(out / "ground_truth.json", json.dumps(gt, indent=2) + "\n")
    _write(out / "opscontext.toml", CONFIG)
    _write(out / "README.md", readme.render(gt, built))
    return gt


def _stamp(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%dT%H%M%SZ")


def _check_unique(built: alerts.Builder) -> None:
    """Two alerts with one label set would be one alert in Alertmanager: refuse to write that."""
    seen: dict[str, str] = {}
    for a in built.alerts:
        if a.fp in seen:
            raise SystemExit(f"duplicate alert label set: {a.labels}")
        seen[a.fp] = a.group


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("fixtures/demo"),
                        help="directory to write the world into (default: fixtures/demo)")
    args = parser.parse_args(argv)
    gt = generate(args.out)
    total = sum(c["alert_count"] for c in gt["root_causes"])
    print(f"wrote {COMPANY} to {args.out}: {total} incident alerts, "
          f"{len(gt['noise_fingerprints'])} noise, {len(gt['flapping_fingerprints'])} flapping")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
