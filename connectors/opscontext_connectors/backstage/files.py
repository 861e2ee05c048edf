"""Reads ``catalog-info.yaml``-style files: one or many entities per file, many files per tree.

A file that is not valid YAML is skipped and reported (the source is then degraded, naming it)
so one bad commit does not blank the whole catalog; only when no file at all can be read is the
source reported failed. Inside a readable file, a document meant as an entity that opscontext
cannot use (an unknown kind, a misspelt apiVersion, malformed) is left out and reported with its
file and name (:func:`~opscontext_connectors.backstage.wire.triage`), and so is a second definition of
an entity (:mod:`~opscontext_connectors.backstage.identity`): files are read in path order and
the first definition is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from opscontext.files import Load
from opscontext.problems import Problem
from opscontext.yamlfast import load_documents
from opscontext_connectors.backstage.identity import first_definitions
from opscontext_connectors.backstage.wire import Entity, Triaged

PATTERNS = ("*.yaml", "*.yml")
NAMED_PER_FILE = 5  # documents left out that are named one by one; the rest of a file's are counted


@dataclass(frozen=True)
class EntityFiles:
    """What one read of the descriptor files found: valid entities and what was left out."""

    entities: list[Entity]
    files: int  # files read
    bad_files: tuple[str, ...]  # files that could not be parsed
    left_out: int  # documents and duplicate definitions left out of readable files


def _documents(text: str) -> Iterator[Any]:
    # yaml-rs where it reads the text exactly as PyYAML would (a 50,000-entity catalog ~4x
    # faster), else libyaml's CSafeLoader: see opscontext.yamlfast.
    return load_documents(text)


def _report(load: Load, where: str, reasons: list[str]) -> None:
    for reason in reasons[:NAMED_PER_FILE]:
        load.problems.append(Problem(where, reason, skipped=False))
    rest = len(reasons) - NAMED_PER_FILE
    if rest > 0:
        load.problems.append(Problem(where, f"{rest} more documents left out", skipped=False))


def read_entity_files(load: Load) -> EntityFiles:
    """Entities of every readable file, each defined once; what was left out is reported.

    Each document is validated as soon as it is parsed, so a file's YAML documents never exist
    all at once beside the entities made from them (at 50k entities ~190 MiB at the peak)."""
    by_file = load.each(lambda path: Triaged().add(_documents(load.read_text(path))))
    left_out = 0
    for path, found in by_file:
        _report(load, load.name(path), found.left_out)
        left_out += len(found.left_out)
    entities, duplicates = first_definitions((load.name(path), found.entities) for path, found in by_file)
    by_where: dict[str, list[str]] = {}
    for dup in duplicates:
        by_where.setdefault(dup.where, []).append(dup.reason)
    for where, reasons in by_where.items():
        _report(load, where, reasons)
    bad_files = tuple(p.where for p in load.problems if p.skipped)
    return EntityFiles(entities, len(by_file), bad_files, left_out + len(duplicates))
