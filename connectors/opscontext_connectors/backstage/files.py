"""Reads ``catalog-info.yaml``-style files: one or many entities per file, many files per tree.

A file that is not valid YAML is skipped and reported (the source is then degraded, naming it)
so one bad commit does not blank the whole catalog; only when no file at all can be read is the
source reported failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from opscontext.files import Load
from opscontext.yamlfast import load_documents
from opscontext_connectors.backstage.wire import Entity, entities_from

PATTERNS = ("*.yaml", "*.yml")


@dataclass(frozen=True)
class EntityFiles:
    """What one read of the descriptor files found: valid entities and what was left out."""

    entities: list[Entity]
    files: int  # files read
    bad_files: tuple[str, ...]  # files that could not be parsed
    bad_entities: int  # Backstage entities that failed validation


def _documents(text: str) -> Iterator[Any]:
    # yaml-rs where it reads the text exactly as PyYAML would (a 50,000-entity catalog ~4x
    # faster), else libyaml's CSafeLoader: see opscontext.yamlfast.
    return load_documents(text)


def read_entity_files(load: Load) -> EntityFiles:
    """Entities of every readable file; a file that is not YAML is skipped and reported.

    Each document is validated as soon as it is parsed, so a file's YAML documents never exist
    all at once beside the entities made from them (at 50k entities ~190 MiB at the peak)."""
    by_file = load.each(lambda path: entities_from(_documents(load.read_text(path))))
    entities: list[Entity] = []
    bad_entities = 0
    for path, (found, bad) in by_file:
        entities.extend(found)
        if bad:
            bad_entities += bad
            load.dropped(path, f"{bad} malformed entit{'y' if bad == 1 else 'ies'} left out")
    bad_files = tuple(p.where for p in load.problems if p.skipped)
    return EntityFiles(entities, len(by_file), bad_files, bad_entities)
