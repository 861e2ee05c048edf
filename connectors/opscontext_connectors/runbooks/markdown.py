"""Markdown structure for runbooks: headings, sections and GitHub-style anchors.

Only ATX headings (``#`` .. ``######``) count, and never inside fenced code blocks: runbooks
are full of shell snippets whose ``# comments`` must not split a section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_NOT_SLUG = re.compile(r"[^\w\- ]", re.UNICODE)


@dataclass(frozen=True)
class Heading:
    """A Markdown heading: where it is in the body, its level and text."""

    line: int  # index into the body's lines
    level: int
    text: str


@dataclass(frozen=True)
class Section:
    """One section of a runbook: its heading, its anchor in the rendered page and its text."""

    heading: str
    anchor: str
    body: str


@dataclass(frozen=True)
class Document:
    """A runbook body split for answers: its first title, a summary and its sections."""

    first_h1: str | None
    summary: str | None
    sections: tuple[Section, ...]


def headings(lines: list[str]) -> list[Heading]:
    found: list[Heading] = []
    fence: str | None = None
    for i, line in enumerate(lines):
        opener = _FENCE.match(line)
        if opener:
            marker = opener.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        match = None if fence else _HEADING.match(line)
        if match:
            found.append(Heading(i, len(match.group(1)), match.group(2).strip()))
    return found


def plain(text: str) -> str:
    """Heading text as rendered: links reduced to their text, emphasis and code marks dropped."""
    return re.sub(r"[*`]|(?<!\w)_|_(?!\w)", "", _LINK.sub(r"\1", text)).strip()


def anchor(text: str, seen: dict[str, int]) -> str:
    """GitHub's rule: lower-case, drop punctuation but `-` and `_`, spaces to `-`, dedupe `-N`."""
    base = _NOT_SLUG.sub("", plain(text).lower()).replace(" ", "-")
    count = seen.get(base, 0)
    seen[base] = count + 1
    return base if count == 0 else f"{base}-{count}"


def _text(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def split(body: str) -> Document:
    """Sections at `##` headings, or at `#` headings when the document has no `##`."""
    lines = body.splitlines()
    found = headings(lines)
    first_h1 = next((plain(h.text) for h in found if h.level == 1), None)
    level = 2 if any(h.level == 2 for h in found) else 1
    starts = [h for h in found if h.level == level]
    if not starts:
        return Document(first_h1, _text(lines) or None, ())
    preamble = lines[: starts[0].line]
    # The `# Title` above the first `##` is the title, not part of the summary.
    preamble = [ln for i, ln in enumerate(preamble) if not any(h.line == i and h.level == 1 for h in found)]
    seen: dict[str, int] = {}
    sections = []
    for n, start in enumerate(starts):
        end = starts[n + 1].line if n + 1 < len(starts) else len(lines)
        text = plain(start.text)
        sections.append(Section(text, anchor(start.text, seen), _text(lines[start.line + 1 : end])))
    return Document(first_h1, _text(preamble) or None, tuple(sections))
