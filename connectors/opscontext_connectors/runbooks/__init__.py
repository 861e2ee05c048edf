"""Markdown runbooks with YAML front matter, split into sections for precise answers."""

from __future__ import annotations

from opscontext.registry import ConnectorSpec
from opscontext_connectors.runbooks.connector import Runbooks, RunbooksConfig

spec = ConnectorSpec(
    type="runbooks",
    summary="Markdown runbooks with YAML front matter (services, alerts, tags), by section.",
    config_model=RunbooksConfig,
    factory=Runbooks,
    cacheable=False,
    example={"type": "runbooks", "path": "runbooks"},
)

__all__ = ["spec"]
