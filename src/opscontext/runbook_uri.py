"""Runbooks by URI: ``opscontext://runbook/{id}``, with ids a person can read and type.

A runbook's id is its file name without extension, slugged (``payment-service.md`` ->
``payment-service``). When two sources hold runbooks of the same name, the id qualified by the
source instance (``runbooks.payment-service``) tells them apart, and the plain id is refused
with both qualified ids named rather than one picked silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from opscontext.errors import InputError, preview
from opscontext.models import Runbook

SCHEME = "opscontext://runbook/"
_SLUG = re.compile(r"[^a-z0-9_.-]+")


def runbook_id(location: str) -> str:
    """The id of the runbook at ``location`` (a path or URL, with or without a section anchor)."""
    path = location.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    stem = path.rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return _SLUG.sub("-", stem.lower()).strip("-.") or "runbook"


def runbook_uri(location: str) -> str:
    return SCHEME + runbook_id(location)


def find_runbook(books: Sequence[Runbook], wanted: str) -> Runbook:
    """The runbook ``wanted`` names (plain or source-qualified id); InputError otherwise."""
    key = wanted.strip().lower()
    plain = [rb for rb in books if runbook_id(rb.location) == key]
    qualified = [rb for rb in books if f"{rb.source}.{runbook_id(rb.location)}".lower() == key]
    if qualified:
        return qualified[0]
    if len(plain) == 1:
        return plain[0]
    if plain:
        ids = ", ".join(sorted(f"{rb.source}.{runbook_id(rb.location)}" for rb in plain))
        raise InputError(f"Runbook id {preview(wanted)} is held by several sources; use one of: {ids}.")
    known = sorted({runbook_id(rb.location) for rb in books})
    close = [k for k in known if key and (key in k or k in key)][:5]
    raise InputError(
        f"No runbook has id {preview(wanted)}. Ids are runbook file names without extension"
        + (f"; similar: {', '.join(close)}." if close else f"; {len(known)} runbooks are loaded."),
        suggestions=close,
    )
