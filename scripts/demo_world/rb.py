"""The runbook record shared by the runbook text modules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Runbook:
    file: str
    title: str
    services: tuple[str, ...]
    alerts: tuple[str, ...]
    tags: tuple[str, ...]
    body: str  # Markdown after the title: intro, then ``##`` sections
