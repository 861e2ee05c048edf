"""Realised statistics of generated worlds: what the cells claim, measured."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from statistics import mean

from evalkit.world import TrueIncident, World
from opscontext.models import Alert

_MIN15 = timedelta(minutes=15)


def root_leads(world: World, inc: TrueIncident) -> bool | None:
    """True when the root's first alert is no later than every other alert of the incident;
    None when the root raised no alert for it."""
    by_fp = {a.fingerprint: a for a in world.alerts}
    mine = [by_fp[fp] for fp in inc.fingerprints if fp in by_fp]
    own = [a.starts_at for a in mine if a.service == inc.root]
    if not own:
        return None
    others = [a.starts_at for a in mine if a.service != inc.root]
    return not others or min(own) < min(others)


def root_alerted(world: World, inc: TrueIncident) -> bool:
    by_fp = {a.fingerprint: a for a in world.alerts}
    return any(by_fp[fp].service == inc.root for fp in inc.fingerprints if fp in by_fp)


@dataclass
class Tally:
    worlds: int = 0
    incidents: int = 0
    alerted_roots: int = 0
    root_first: int = 0
    silent: int = 0
    incident_alerts: list[int] = field(default_factory=list)
    noise: int = 0
    alerts: int = 0
    spreads: list[float] = field(default_factory=list)  # max - min onset per world, minutes
    first_alert_delays: list[float] = field(default_factory=list)  # first alert - onset, minutes
    causal_changes: int = 0

    def add(self, w: World) -> None:
        self.worlds += 1
        self.alerts += len(w.alerts)
        self.noise += len(w.noise)
        by_fp: dict[str, Alert] = {a.fingerprint: a for a in w.alerts}
        onsets = [i.onset for i in w.incidents]
        self.spreads.append((max(onsets) - min(onsets)).total_seconds() / 60)
        for inc in w.incidents:
            self.incidents += 1
            self.incident_alerts.append(len(inc.fingerprints))
            lead = root_leads(w, inc)
            if lead is None:
                self.silent += 1
            else:
                self.alerted_roots += 1
                self.root_first += lead
            if inc.fingerprints:
                first = min(by_fp[fp].starts_at for fp in inc.fingerprints)
                self.first_alert_delays.append((first - inc.onset).total_seconds() / 60)
            self.causal_changes += any(
                c.service == inc.root and inc.onset - _MIN15 <= c.at <= inc.onset for c in w.changes
            )

    def row(self) -> dict[str, float]:
        return {
            "root_first": self.root_first / self.alerted_roots if self.alerted_roots else float("nan"),
            "silent": self.silent / self.incidents if self.incidents else float("nan"),
            "alerts_per_incident": mean(self.incident_alerts) if self.incident_alerts else 0.0,
            "noise_share": self.noise / self.alerts if self.alerts else 0.0,
            "onset_spread_min": mean(self.spreads) if self.spreads else 0.0,
            "first_alert_min": mean(self.first_alert_delays) if self.first_alert_delays else float("nan"),
            "root_change": self.causal_changes / self.incidents if self.incidents else float("nan"),
            "incidents_per_world": self.incidents / self.worlds if self.worlds else 0.0,
        }

