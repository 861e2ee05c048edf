"""Reads a tree of Markdown runbooks with YAML front matter into Runbook models.

Front matter (all optional)::

    ---
    title: Payment service: card authorisation failures
    services: [payment-service, checkout-web]   # or "a, b"
    alerts: [PaymentAuthErrorsHigh]
    tags: [payments, tier-1]
    ---

A file whose front matter is not valid YAML, is not UTF-8, expands through aliases past a
budget (see :mod:`.frontyaml`) or gives a field the wrong shape is skipped and reported (the
source is then degraded, naming it and what is wrong); only when every file is unreadable is the
source failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, field_validator

from opscontext.files import Load
from opscontext.models import Runbook, RunbookSection
from opscontext_connectors.runbooks import frontyaml
from opscontext_connectors.runbooks.markdown import split

PATTERNS = ("*.md", "*.markdown")


class FrontMatter(BaseModel):
    """The YAML front matter a runbook declares: title, services, alerts and tags."""

    model_config = ConfigDict(extra="ignore")

    title: str | None = None
    services: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float):
            return str(value)
        raise ValueError(f"expected one line of text, found {_kind(value)}")

    @field_validator("services", "alerts", "tags", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        """A list, or one comma-separated string; blanks dropped, numbers read as names."""
        if value is None:
            return ()
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ValueError(f"expected a list of names or one comma-separated string, found {_kind(value)}")
        # Only scalars are turned into names: str() of a nested list would render all of it.
        for n, item in enumerate(items, 1):
            if item is not None and not isinstance(item, str | int | float):
                raise ValueError(f"expected a list of names, found {_kind(item)} as item {n}")
        return tuple(str(i).strip() for i in items if i is not None and str(i).strip())


def _kind(value: Any) -> str:
    """What a YAML value is, as a person writing front matter calls it (never the value itself)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return f"a {type(value).__name__}"  # a date, or bytes from !!binary


@dataclass(frozen=True)
class ReadRunbooks:
    """What one read of the runbook files found, and the files left out."""

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


def to_runbook(path: Path, text: str, *, locate: Locator, source: str) -> Runbook:
    """One runbook from a file's text; YAML or validation errors of its front matter propagate."""
    meta, body = frontyaml.parse(text)
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


def read_runbooks(load: Load, *, locate: Locator, source: str) -> ReadRunbooks:
    """Every readable runbook; a file that cannot be read or parsed is skipped and reported."""
    read = load.each(lambda path: to_runbook(path, load.read_text(path), locate=locate, source=source))
    runbooks = [runbook for _path, runbook in read]
    bad = tuple(p.where for p in load.problems if p.skipped)
    return ReadRunbooks(sorted(runbooks, key=lambda r: r.location), len(load.files), bad)
