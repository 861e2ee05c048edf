"""The two Backstage connectors: catalog files in git, or a running Backstage's catalog API.

Both turn entities into the same snapshot through ``mapping``; only where the entities come
from differs, so moving from one to the other is a change of ``type`` and ``path``/``url``.
"""

from __future__ import annotations

from dataclasses import dataclass

from opscontext.capabilities import ServiceCatalog, TopologySource
from opscontext.config import FileConnectorConfig, HttpConnectorConfig
from opscontext.errors import SourceDataError
from opscontext.files import Load, Reloading
from opscontext.http import JsonClient
from opscontext.models import CatalogSnapshot, DependencyEdge
from opscontext.problems import LoadReport, Problem, report
from opscontext.registry import ConnectorContext
from opscontext_connectors.backstage.api import QUERY_PATH, BackstageClient
from opscontext_connectors.backstage.files import PATTERNS, EntityFiles, read_entity_files
from opscontext_connectors.backstage.mapping import build_catalog, build_edges


class BackstageFilesConfig(FileConnectorConfig):
    """`path`: a catalog-info.yaml file, or a directory searched recursively for *.yaml/*.yml."""


class BackstageApiConfig(HttpConnectorConfig):
    """`url`: the Backstage backend base URL (the catalog is served under /api/catalog)."""


@dataclass(frozen=True)
class _Mapped:
    """What one read of the files is kept as: the domain models, not the wire entities (at 50k
    services the entities would double what the catalog holds)."""

    catalog: CatalogSnapshot
    edges: list[DependencyEdge]
    files: int
    left_out: int


class BackstageFiles(ServiceCatalog, TopologySource):
    """ServiceCatalog + TopologySource over Backstage descriptor files, re-read on change."""

    def __init__(self, ctx: ConnectorContext[BackstageFilesConfig]):
        self.name = ctx.name
        config = ctx.config
        # Parsed and mapped in one step off the event loop, once per change of the files.
        self._files = Reloading(
            ctx.resolve_path(config.path),
            self._parse,
            instance=ctx.name,
            patterns=PATTERNS,
            max_file_mb=config.max_file_mb,
        )

    def _parse(self, load: Load) -> _Mapped:
        read = read_entity_files(load)
        catalog = build_catalog(read.entities, source=self.name)
        if not catalog.services and read.files:
            self._no_services(load, read, catalog)
        names = {s.name: s.name for s in catalog.services}  # edges share the services' name strings
        edges = build_edges(read.entities, source=self.name, names=names)
        return _Mapped(catalog, edges, read.files, read.left_out)

    def _no_services(self, load: Load, read: EntityFiles, catalog: CatalogSnapshot) -> None:
        """A catalog without services answers nothing anyone asks it: never ``ok``. With teams or
        people it still serves those (degraded); with nothing at all it has failed."""
        files = "the file" if read.files == 1 else f"the {read.files} files"
        if catalog.teams or catalog.people:
            load.dropped(load.boundary.root, f"{files} held no services (no Component or Resource entity)")
            return
        why = f": {LoadReport(len(load.files), tuple(load.problems)).summary()}" if load.problems else ""
        held = "no services, teams or people (no Component, Resource, Group or User entity)"
        raise SourceDataError(f"{files} held {held}{why}", instance=self.name)

    async def preload(self) -> None:
        """Parse and map the files at server start (``opscontext.warm``), not at the first call."""
        await self._files.get()

    def problems(self) -> LoadReport:
        """Files left out and entities dropped in the last load (the hub reports them)."""
        return self._files.problems()

    async def catalog(self) -> CatalogSnapshot:
        return (await self._files.get()).catalog

    async def edges(self) -> list[DependencyEdge]:
        return (await self._files.get()).edges

    async def check(self) -> str:
        read = await self._files.get()
        snap, edges = read.catalog, read.edges
        line = (
            f"{read.files} files: {len(snap.services)} services, {len(snap.teams)} teams, "
            f"{len(snap.people)} people, {len(edges)} edges"
        )
        if read.left_out:
            line += f"; left out {read.left_out} {'entry' if read.left_out == 1 else 'entries'}"
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
        snapshot = build_catalog(await self.client.entities(), source=self.name)
        if not snapshot.services:  # answers nothing anyone asks a catalog: never ok
            why = "the catalog holds no services the token can see (no Component or Resource entity)"
            report(LoadReport(1, (Problem(QUERY_PATH, why, skipped=False),), noun="lists", partly="nothing to serve"))
        return snapshot

    async def edges(self) -> list[DependencyEdge]:
        return build_edges(await self.client.entities(), source=self.name)

    async def check(self) -> str:
        return f"authenticated; {await self.client.count()} catalog entities visible"
