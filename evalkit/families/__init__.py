"""Scenario families: each module has ``CELLS`` (its sweep) and ``generate(topology, seed, params)``."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from types import ModuleType

from evalkit.families import chaos_bench, fault_injection, metric_rules, outage_replay, request_flow, span_traces

FAMILIES: dict[str, ModuleType] = {
    "metric_rules": metric_rules, "fault_injection": fault_injection, "request_flow": request_flow,
    "span_traces": span_traces, "chaos_bench": chaos_bench, "outage_replay": outage_replay,
}

# Families nothing may be fitted or tuned on (evalkit.calibrate refuses them): their figures are the
# only ones nobody has looked at.
# chaos_bench was one until its spare seeds' misses were inspected (round nineteen); outage_replay,
# written blind like it, took its place.
NEVER_FITTED_FAMILIES: tuple[str, ...] = ("span_traces", "outage_replay")


def refuse_never_fitted(parser: argparse.ArgumentParser, families: Iterable[str]) -> None:
    """Exit through ``parser`` (status 2) when a tool that tunes or looks at misses is asked about
    a family in :data:`NEVER_FITTED_FAMILIES`."""
    refused = sorted(set(families) & set(NEVER_FITTED_FAMILIES))
    if refused:
        parser.error(f"{', '.join(refused)}: nothing is tuned on it and its misses are not looked at, "
                     "so it is scored by the report only")
