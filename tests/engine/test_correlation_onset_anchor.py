"""In a big group, how soon a candidate began counts from near the group's first tenth, not from
one early stray alert that happened to join it (candidates._onset_zero)."""

from __future__ import annotations

from datetime import timedelta

from test_generalization import T0

from opscontext.engine.correlate import correlate
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, DependencyEdge, Service

NAMES = [f"svc-{i:02d}" for i in range(12)]
NOW = T0 + timedelta(minutes=40)


def _ring() -> ServiceGraph:
    # each calls the next, the last the first: every member explains every other, so how soon
    # each began is what tells them apart
    edges = [(NAMES[i], NAMES[(i + 1) % len(NAMES)]) for i in range(len(NAMES))]
    return ServiceGraph.build([Service(name=n) for n in NAMES],
                              [DependencyEdge(dependent=a, dependency=b) for a, b in edges])


def _alert(service: str, name: str, minutes: float, severity: str) -> Alert:
    return Alert(fingerprint=f"{service}-{name}-{minutes}", alertname=name, service=service, severity=severity,
                 starts_at=T0 + timedelta(minutes=minutes))


def _incident() -> list[Alert]:
    # svc-00 fails first; a minute and a half later svc-01, then the rest of the ring
    alerts = [_alert("svc-00", "ThreadPoolExhausted", 20, "warning"),
              _alert("svc-01", "HighErrorRate", 21.5, "critical")]
    return alerts + [_alert(n, "HighErrorRate", 22 + i * 0.1, "warning") for i, n in enumerate(NAMES[2:])]


def test_an_early_stray_warning_joined_to_a_big_group_does_not_blur_who_began_first() -> None:
    clean = correlate(_incident(), _ring(), [], now=NOW).groups
    # a warning on a member twelve minutes before, still firing, joins the group as its first alert
    stray = correlate([_alert("svc-05", "DiskSpaceLow", 8, "warning"), *_incident()], _ring(), [], now=NOW).groups
    assert len(clean) == len(stray) == 1 and stray[0].alert_count == clean[0].alert_count + 1
    before, after = clean[0], stray[0]
    assert before.primary_contributor == after.primary_contributor == "svc-00"
    # Counted from the stray warning, every onset was twelve minutes or more and svc-00's lead
    # over the others shrank to nothing: its score fell and its answer read as a guess (0.49).
    assert after.candidates[0].score == before.candidates[0].score
    assert after.confidence >= 0.8
    # what the evidence says is still measured from the very first alert
    assert any(e.startswith("started alerting 12 min after the first alert") for e in after.candidates[0].evidence)
