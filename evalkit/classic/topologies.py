"""Topologies to generate scenarios over: the bundled real ones and synthetic large graphs.

Bundled files are ``{"services": [...], "edges": [[caller, callee], ...], "source": ...}``;
the caller depends on the callee, so a fault in the callee surfaces at the caller.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from opscontext.models import DependencyEdge, Service

BUNDLED_DIR = Path(__file__).parent / "topologies"


@dataclass(frozen=True)
class Topology:
    name: str
    services: tuple[Service, ...]
    edges: tuple[DependencyEdge, ...]
    source: str = ""
    # Entry points the file declares (``entrypoints``); the generators also find them by name.
    entrypoints: tuple[str, ...] = ()


def load(path: Path) -> Topology:
    data = json.loads(path.read_text(encoding="utf-8"))
    names = list(dict.fromkeys([*data["services"], *(n for e in data["edges"] for n in e)]))
    datastores = set(data.get("datastores", ())) if isinstance(data.get("datastores"), list) else set()
    services = tuple(
        Service(name=n, type="database" if n in datastores or _looks_like_store(n) else "service")
        for n in names
    )
    edges = tuple(DependencyEdge(dependent=a, dependency=b) for a, b in data["edges"] if a != b)
    declared = data.get("entrypoints")
    entries = tuple(n for n in declared if n in names) if isinstance(declared, list) else ()
    return Topology(path.stem, services, edges, str(data.get("source", "")), entries)


def _looks_like_store(name: str) -> bool:
    return any(k in name for k in ("mongo", "memcached", "redis", "-db", "rabbitmq", "mysql"))


def bundled() -> list[Topology]:
    return [load(p) for p in sorted(BUNDLED_DIR.glob("*.json"))]


def synthetic(n_services: int, seed: int = 0) -> Topology:
    from opscontext.engine.synthetic import synthetic_world

    services, edges = synthetic_world(n_services, avg_out_degree=5, seed=seed)
    return Topology(f"synthetic-{n_services}", tuple(services), tuple(edges), "opscontext.engine.synthetic")
