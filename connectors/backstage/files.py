"""Reads ``catalog-info.yaml``-style files: one or many entities per file, many files per tree.

A file that is not valid YAML is skipped with a warning so one bad commit does not blank the
whole catalog; only when no file at all can be read is the source reported broken.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from connectors.backstage.wire import Entity, entities_from

log = logging.getLogger(__name__)

PATTERNS = ("*.yaml", "*.yml")


@dataclass(frozen=True)
class EntityFiles:
    entities: list[Entity]
    files: int  # files read
    bad_files: tuple[str, ...]  # files that could not be parsed
    bad_entities: int  # Backstage entities that failed validation


class UnreadableCatalog(ValueError):
    """Raised to Reloading, which reports it as SourceDataError naming the path."""


def _documents(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc is not None]


def read_entity_files(paths: list[Path]) -> EntityFiles:
    if not paths:
        raise UnreadableCatalog("no *.yaml or *.yml files found")
    docs: list[Any] = []
    bad_files: list[str] = []
    for path in paths:
        try:
            docs.extend(_documents(path))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            bad_files.append(path.name)
            log.warning("skipping %s: not valid YAML (%s)", path, type(exc).__name__)
    if len(bad_files) == len(paths):
        raise UnreadableCatalog(f"none of the {len(paths)} catalog files is valid YAML")
    entities, bad_entities = entities_from(docs)
    return EntityFiles(entities, len(paths) - len(bad_files), tuple(bad_files), bad_entities)
