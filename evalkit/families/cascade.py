"""Family A, "cascade": the generator the engine was first tuned on (``evalkit.classic.scenario``),
wrapped as a family and swept over its own assumptions.

Faults climb the call graph hop by hop with a delay; roots raise latency/error/saturation alerts,
callers latency/errors and far callers missing traffic; some hops and roots stay silent; noise,
flapping and duplicate deliveries everywhere; several incidents per window, sometimes two under a
shared entry point. This is the **tuning** family: figures on it are not results.
"""

from __future__ import annotations

from dataclasses import replace

from evalkit.classic.scenario import ScenarioConfig
from evalkit.classic.scenario import generate as _generate
from evalkit.classic.topologies import Topology
from evalkit.world import Degraded, TrueIncident, World, note_degraded

Params = ScenarioConfig

_BASE = ScenarioConfig()
CELLS: dict[str, ScenarioConfig] = {
    "default": _BASE,
    "no-silent": replace(_BASE, silent_root=0.0, silent_hop=0.0),
    "silent-roots-30": replace(_BASE, silent_root=0.3),
    "silent-hops-35": replace(_BASE, silent_hop=0.35),
    "noisy": replace(_BASE, noise_per_service_hour=0.25, flap=0.25),
    "weak-spread": replace(_BASE, hop_probability=0.55),
    "concurrent": replace(_BASE, incidents=(4, 6), overlap=0.9, shared_entry=0.8),
    "no-changes": replace(_BASE, causal_change=0.0),
}


def generate(topology: Topology, seed: int, params: ScenarioConfig, cell: str = "") -> World:
    sc = _generate(topology, seed, params)
    alerting = {fp: a.service for a in sc.alerts for fp in (a.fingerprint,)}
    incidents = [
        TrueIncident(
            id=inc.id,
            root=inc.root,
            fingerprints=frozenset(inc.fingerprints),
            onset=inc.onset,
            root_silent=not any(alerting.get(fp) == inc.root for fp in inc.fingerprints),
            cause="change" if inc.causal_change else "",
        )
        for inc in sc.incidents
    ]
    degraded: Degraded = {}
    for inc in sc.incidents:
        for name, (at, _) in inc.affected.items():
            note_degraded(degraded, name, at)
    return World("cascade", cell, topology.name, seed, topology.services, topology.edges, sc.alerts,
                 sc.changes, incidents, frozenset(sc.noise), sc.now, degraded)
