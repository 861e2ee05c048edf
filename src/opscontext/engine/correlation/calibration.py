"""Calibrated confidence, and why a group's answer is uncertain.

Raw candidate scores are not probabilities. A logistic curve over a few features of the ranked
group maps them to the chance that the primary contributor is the real root cause::

    confidence = 1 / (1 + exp(-(w · features)))

Features: the top score and its lead over the runner-up; whether the top candidate alerted; whether
something besides topology points at it (a change, an alert naming it); how many alerting services
in the group have no alerting dependency (each could have started it); and the log of the group's
size (big groups hide their root better).

The weights are fitted by ``python -m evalkit.calibrate`` on scenario families the ranking was
**not** tuned on (the tuning family would flatter it), labelling each true incident's matched
group 1 when its primary contributor is the injected root. Re-run it whenever ranking changes.

On top of the curve, :func:`doubts` names what makes an answer a guess: the top two candidates are
close, the evidence is only the graph, or several deepest alerting services tie. A group with a
doubt never claims 0.5 or more: a responder reads "below one half" as "check the alternatives".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from opscontext.engine.correlation.ranking import Scored

# Output of `python -m evalkit.calibrate` (see the module docstring).
WEIGHTS = (7.3623, -1.8207, 0.0, 0.0, 0.0, -0.2180, 1.5564)
CLOSE_MARGIN = 0.06
UNSURE_CAP = 0.45


def features(ranked: Sequence[Scored], n_services: int) -> tuple[float, ...]:
    top = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    deepest = sum(1 for c in ranked if c.alerting and c.deps == 0)
    return (
        top.score - runner_up,
        top.score,
        1.0 if top.alerting else 0.0,
        1.0 if top.change is not None or top.named else 0.0,
        math.log(max(deepest, 1)),
        math.log(max(n_services, 1)),
        1.0,
    )


def doubts(ranked: Sequence[Scored]) -> list[str]:
    """Short reasons the top answer may be wrong, for the group's ``uncertain_because``."""
    top = ranked[0]
    out: list[str] = []
    if len(ranked) > 1 and top.score - ranked[1].score < CLOSE_MARGIN:
        out.append(f"{ranked[1].service} scores almost as high as {top.service}")
    if not top.alerting and top.change is None and not top.named:
        out.append(f"{top.service} raised no alert and only the dependency graph points at it")
    deepest = [c.service for c in ranked if c.alerting and c.deps == 0 and c.service != top.service]
    if top.alerting and top.change is None and len(deepest) >= 1 and top.deps == 0:
        others = ", ".join(deepest[:2]) + (" and others" if len(deepest) > 2 else "")
        out.append(f"{others} also alerted with no alerting dependency below")
    return out


def confidence(ranked: Sequence[Scored], n_services: int) -> tuple[float, list[str]]:
    """The calibrated chance the top candidate is right, capped below one half when in doubt."""
    z = sum(w * x for w, x in zip(WEIGHTS, features(ranked, n_services), strict=True))
    p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
    why = doubts(ranked)
    return (min(p, UNSURE_CAP) if why else p), why
