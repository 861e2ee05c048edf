"""Configuration of the ``openslo`` connector: a file or directory of OpenSLO v1 YAML."""

from __future__ import annotations

from pydantic import Field

from opscontext.config import FileConnectorConfig


class OpenSloConfig(FileConnectorConfig):
    """``path``: an OpenSLO file or a directory searched for ``*.yaml``/``*.yml``.

    Where SLIs are evaluated comes from this configuration only, never from a file's
    ``connectionDetails``: ``data_sources`` maps an OpenSLO DataSource (``metricSourceRef``) name
    to a configured connector instance, and ``evaluator`` names the instance for SLIs that name
    no data source (or one not in the map). With neither, the one configured SLI evaluator is used.
    """

    evaluator: str | None = Field(
        default=None, description="Connector instance (e.g. your prometheus) that evaluates SLIs by default."
    )
    data_sources: dict[str, str] = Field(
        default_factory=dict, description="OpenSLO DataSource name -> connector instance that evaluates its SLIs."
    )
