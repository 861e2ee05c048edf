"""Reads OpenSLO files: every object of every file, then SLOs resolved against SLIs and data
sources defined anywhere under the configured path.

A file that is not YAML is left out; an object that cannot be used (another apiVersion, a
missing field, a dangling reference, an indicator with no ratio) is dropped and reported with
its file, kind and name, and the rest is served: the hub then reports the source degraded.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from opscontext.files import Load, Reloading
from opscontext.models import Slo
from opscontext.problems import LoadReport
from opscontext.yamlbound import load_all
from opscontext_connectors.openslo.config import OpenSloConfig
from opscontext_connectors.openslo.mapping import SloRefused, to_slos
from opscontext_connectors.openslo.wire import API_VERSION, KINDS, DataSourceObject, Indicator, SloObject

log = logging.getLogger(__name__)

PATTERNS = ("*.yaml", "*.yml")
Raw = dict[str, Any]


def objects(text: str) -> list[Raw]:
    """Every object in a file: one per YAML document, or the items of a document that is a list."""
    found: list[Raw] = []
    for doc in load_all(text):  # each document measured for aliases first (yamlbound)
        items = doc if isinstance(doc, list) else [doc]
        for item in items:
            if item is None:
                continue
            if not isinstance(item, dict):
                kind = type(item).__name__
                raise ValueError(f"expected OpenSLO objects (mappings with apiVersion and kind), found {kind}")
            found.append(item)
    return found


def _label(raw: Raw) -> str:
    meta = raw.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return f"{raw.get('kind') or 'object'} {name!r}" if name else f"{raw.get('kind') or 'object'} without a name"


def _invalid(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{where}: {first['msg'].removeprefix('Value error, ')}{more}"


class _Index:
    """Objects by kind and name across all files, with the file each came from."""

    def __init__(self, load: Load):
        self.load = load
        self.slis: dict[str, Indicator] = {}
        self.data_sources: dict[str, str] = {}
        self.slos: list[tuple[Path, SloObject]] = []

    def add(self, path: Path, raw: Raw) -> None:
        kind, label = raw.get("kind"), _label(raw)
        if raw.get("apiVersion") != API_VERSION:
            why = f"{label}: apiVersion {raw.get('apiVersion')!r} is not read; opscontext reads {API_VERSION}"
            self.load.dropped(path, why)
            return
        models: dict[str, type[BaseModel]] = {"SLO": SloObject, "SLI": Indicator, "DataSource": DataSourceObject}
        model = models.get(str(kind))
        if model is None:
            if kind not in KINDS:
                self.load.dropped(path, f"{label}: unknown kind; OpenSLO v1 kinds are {', '.join(KINDS)}")
            return  # Service, alert policies: valid OpenSLO that burn rates do not need
        try:
            obj = model.model_validate(raw)
        except ValidationError as exc:
            self.load.dropped(path, f"{label}: {_invalid(exc)}")
            return
        self._keep(path, obj, label)

    def _keep(self, path: Path, obj: BaseModel, label: str) -> None:
        if isinstance(obj, SloObject):
            self.slos.append((path, obj))
            return
        table: dict[str, Any] = self.slis if isinstance(obj, Indicator) else self.data_sources
        name = obj.metadata.name  # type: ignore[attr-defined]
        if name in table:
            self.load.dropped(path, f"{label} is defined twice; names must be unique, the first one is used")
            return
        table[name] = obj if isinstance(obj, Indicator) else obj.spec.type  # type: ignore[attr-defined]


def parse(load: Load, *, config: OpenSloConfig, instance: str) -> list[Slo]:
    """Every usable objective under the configured path; what is unusable becomes a problem."""
    index = _Index(load)
    for path, raws in load.each(lambda p: objects(load.read_text(p))):
        for raw in raws:
            index.add(path, raw)
    out: list[Slo] = []
    seen: set[str] = set()
    for path, obj in index.slos:
        label = f"SLO {obj.metadata.name!r}"
        try:
            slos = to_slos(
                obj,
                slis=index.slis,
                data_sources=index.data_sources,
                config=config,
                location=load.name(path),
                source=instance,
            )
        except SloRefused as exc:
            load.dropped(path, f"{label}: {exc}")
            continue
        for slo in slos:
            if slo.name in seen:
                load.dropped(path, f"{label} is defined twice; names must be unique, the first one is used")
                continue
            seen.add(slo.name)
            out.append(slo)
    return out


class SloReader:
    """The SLOs under the configured path, re-read when a file changes."""

    def __init__(self, root: Path, *, config: OpenSloConfig, instance: str):
        self.config = config
        self.instance = instance
        self._files = Reloading(
            root, self._parse, instance=instance, patterns=PATTERNS, max_file_mb=config.max_file_mb
        )

    def problems(self) -> LoadReport:
        return self._files.problems()

    def _parse(self, load: Load) -> list[Slo]:
        slos = parse(load, config=self.config, instance=self.instance)
        log.debug("%s: loaded %d SLOs", self.instance, len(slos))
        return slos

    async def get(self) -> list[Slo]:
        return await self._files.get()
