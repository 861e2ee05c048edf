"""Scenario families: each module has ``CELLS`` (its sweep) and ``generate(topology, seed, params)``."""

from __future__ import annotations

from types import ModuleType

from evalkit.families import fault_injection, metric_rules

FAMILIES: dict[str, ModuleType] = {"metric_rules": metric_rules, "fault_injection": fault_injection}
