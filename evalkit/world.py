"""What every scenario family produces: a world with its ground truth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from opscontext.models import Alert, Change, DependencyEdge, Service


@dataclass(frozen=True)
class TrueIncident:
    id: str
    root: str  # the service where the fault was injected
    fingerprints: frozenset[str]  # alerts caused by this incident
    onset: datetime
    root_silent: bool  # the root raised no alert at all
    cause: str = ""


@dataclass
class World:
    family: str
    cell: str
    topology: str
    seed: int
    services: tuple[Service, ...]
    edges: tuple[DependencyEdge, ...]
    alerts: list[Alert]
    changes: list[Change]
    incidents: list[TrueIncident]
    noise: frozenset[str]
    now: datetime

    def truth(self) -> dict[str, str]:
        """Fingerprint -> incident id; noise fingerprints map to themselves (singletons)."""
        out = {fp: fp for fp in self.noise}
        for inc in self.incidents:
            out.update(dict.fromkeys(inc.fingerprints, inc.id))
        return out
