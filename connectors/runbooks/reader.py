"""Reads a tree of Markdown runbooks with YAML front matter into Runbook models.

Front matter (all optional)::

    ---
    title: Payment service: card authorisation failures
    services: [payment-service, checkout-web]   # or "a, b"
    alerts: [PaymentAuthErrorsHigh]
    tags: [payments, tier-1]
    ---

A file whose front matter is not valid YAML, or is not UTF-8, is skipped with a warning;
only when every file is unreadable is the source reported broken.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import frontmatter
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from connectors.runbooks.markdown import split
from opscontext.models import Runbook, RunbookSection

log = logging.getLogger(__name__)

PATTERNS = ("*.md", "*.markdown")


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str | None = None
    services: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @field_validator("services", "alerts", "tags", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        """A list, or one comma-separated string; blanks dropped, numbers read as names."""
        if value is None:
            return ()
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            return value  # let validation reject it
        return tuple(str(i).strip() for i in items if i is not None and str(i).strip())


class UnreadableRunbooks(ValueError):
    """Raised to Reloading, which reports it as SourceDataError naming the path."""


@dataclass(frozen=True)
class ReadRunbooks:
    runbooks: list[Runbook]
    files: int
    bad_files: tuple[str, ...]


@dataclass(frozen=True)
class Locator:
    """Where a human opens a runbook: a path relative to the configured root, or a URL."""

    root: Path  # the configured path; a file's location is relative to its directory
    base_url: str | None = None

    def __call__(self, path: Path) -> str:
        base = self.root if self.root.is_dir() else self.root.parent
        relative = path.relative_to(base).as_posix()
        if self.base_url:
            return f"{self.base_url.rstrip('/')}/{quote(relative)}"
        return relative


def to_runbook(path: Path, *, locate: Locator, source: str) -> Runbook:
    meta, body = frontmatter.parse(path.read_text(encoding="utf-8"))
    front = FrontMatter.model_validate(meta)
    doc = split(body)
    return Runbook(
        title=front.title or doc.first_h1 or path.stem,
        location=locate(path),
        services=front.services,
        alerts=front.alerts,
        tags=front.tags,
        summary=doc.summary,
        sections=tuple(RunbookSection(heading=s.heading, anchor=s.anchor, body=s.body) for s in doc.sections),
        source=source,
    )


def read_runbooks(paths: list[Path], *, locate: Locator, source: str) -> ReadRunbooks:
    runbooks: list[Runbook] = []
    bad: list[str] = []
    for path in paths:
        try:
            runbooks.append(to_runbook(path, locate=locate, source=source))
        except (yaml.YAMLError, UnicodeDecodeError, ValidationError) as exc:
            bad.append(path.name)
            log.warning("skipping runbook %s: %s", path, type(exc).__name__)
    if paths and len(bad) == len(paths):
        raise UnreadableRunbooks(f"none of the {len(paths)} runbook files could be read")
    return ReadRunbooks(sorted(runbooks, key=lambda r: r.location), len(paths), tuple(bad))
