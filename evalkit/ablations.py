"""Ablations: the engine with one signal switched off, to show what each signal buys.

Each entry names a change to the ranking's module constants or to the correlation options; the
harness applies it inside the worker process before scoring a world (never in the product).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from opscontext.engine.correlation import ranking
from opscontext.engine.correlation.models import CorrelationOptions


def _weights(**zero: float) -> Callable[[], CorrelationOptions | None]:
    def apply() -> CorrelationOptions | None:
        for name, value in zero.items():
            setattr(ranking, name, value)
        ranking._TOTAL = ranking.W_COVER + ranking.W_DEEPEST + ranking.W_ONSET + ranking.W_SEVERITY + ranking.W_CHANGE
        return None

    return apply


def _options(**changes: object) -> Callable[[], CorrelationOptions | None]:
    def apply() -> CorrelationOptions | None:
        return CorrelationOptions(**changes)  # type: ignore[arg-type]

    return apply


ABLATIONS: dict[str, Callable[[], CorrelationOptions | None]] = {
    "": lambda: None,
    "no onset order": _weights(W_ONSET=0.0),
    "no depth (deepest alerting)": _weights(W_DEEPEST=0.0),
    "no cover (what it explains)": _weights(W_COVER=0.0),
    "no changes": _weights(W_CHANGE=0.0),
    "silent candidates need no evidence": _weights(SILENT_FLOOR=1.0),
    "callers not held open while firing": _options(active_hold=timedelta(0)),
}
