"""The two Backstage connectors: catalog files in git, or a running Backstage's catalog API.

Both turn entities into the same snapshot through ``mapping``; only where the entities come
from differs, so moving from one to the other is a change of ``type`` and ``path``/``url``.
"""

from __future__ import annotations

from opscontext.capabilities import ServiceCatalog, TopologySource
from opscontext.config import FileConnectorConfig, HttpConnectorConfig
from opscontext.files import Derived, Reloading
from opscontext.http import JsonClient
from opscontext.models import CatalogSnapshot, DependencyEdge
from opscontext.problems import LoadReport
from opscontext.registry import ConnectorContext
from opscontext_connectors.backstage.api import BackstageClient
from opscontext_connectors.backstage.files import PATTERNS, EntityFiles, read_entity_files
from opscontext_connectors.backstage.mapping import build_catalog, build_edges


class BackstageFilesConfig(FileConnectorConfig):
    """`path`: a catalog-info.yaml file, or a directory searched recursively for *.yaml/*.yml."""


class BackstageApiConfig(HttpConnectorConfig):
    """`url`: the Backstage backend base URL (the catalog is served under /api/catalog)."""


class BackstageFiles(ServiceCatalog, TopologySource):
    """ServiceCatalog + TopologySource over Backstage descriptor files, re-read on change."""

    def __init__(self, ctx: ConnectorContext[BackstageFilesConfig]):
        self.name = ctx.name
        config = ctx.config
        self._files = Reloading(
            ctx.resolve_path(config.path),
            read_entity_files,
            instance=ctx.name,
            patterns=PATTERNS,
            max_file_mb=config.max_file_mb,
        )
        # Mapped once per change of the files, not once per call.
        self._catalog: Derived[EntityFiles, CatalogSnapshot] = Derived(
            lambda read: build_catalog(read.entities, source=self.name)
        )
        self._edges: Derived[EntityFiles, list[DependencyEdge]] = Derived(
            lambda read: build_edges(read.entities, source=self.name)
        )

    def problems(self) -> LoadReport:
        """Files left out and entities dropped in the last load (the hub reports them)."""
        return self._files.problems()

    async def _read(self) -> EntityFiles:
        return await self._files.get()

    async def catalog(self) -> CatalogSnapshot:
        return self._catalog(await self._read())

    async def edges(self) -> list[DependencyEdge]:
        return self._edges(await self._read())

    async def check(self) -> str:
        read = await self._read()
        snap, edges = self._catalog(read), self._edges(read)
        line = (
            f"{read.files} files: {len(snap.services)} services, {len(snap.teams)} teams, "
            f"{len(snap.people)} people, {len(edges)} edges"
        )
        if read.bad_entities:
            line += f"; skipped {read.bad_entities} malformed entities"
        return line


class BackstageApi(ServiceCatalog, TopologySource):
    """ServiceCatalog + TopologySource over the Backstage catalog REST API."""

    def __init__(self, ctx: ConnectorContext[BackstageApiConfig]):
        self.name = ctx.name
        config = ctx.config
        json = JsonClient.configured(ctx.http_client(), config, instance=ctx.name)
        self.client = BackstageClient(
            json, page_size=config.page_size, max_pages=config.max_pages, instance=ctx.name
        )

    async def catalog(self) -> CatalogSnapshot:
        return build_catalog(await self.client.entities(), source=self.name)

    async def edges(self) -> list[DependencyEdge]:
        return build_edges(await self.client.entities(), source=self.name)

    async def check(self) -> str:
        return f"authenticated; {await self.client.count()} catalog entities visible"
