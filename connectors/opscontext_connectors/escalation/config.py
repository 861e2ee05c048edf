"""Configuration of the ``escalation`` connector: one YAML file or a directory of them."""

from __future__ import annotations

from opscontext.config import FileConnectorConfig


class EscalationConfig(FileConnectorConfig):
    """``path``: a policy file (see FORMAT.md) or a directory searched for ``*.yaml``/``*.yml``."""
