"""Markdown runbooks with YAML front matter, split into sections for precise answers."""

from __future__ import annotations

from connectors.runbooks.connector import Runbooks, RunbooksConfig
from opscontext.registry import ConnectorSpec

spec = ConnectorSpec(
    type="runbooks",
    summary="Markdown runbooks with YAML front matter (services, alerts, tags), by section.",
    config_model=RunbooksConfig,
    factory=Runbooks,
    cacheable=False,
    example={"type": "runbooks", "path": "runbooks"},
)

__all__ = ["spec"]
