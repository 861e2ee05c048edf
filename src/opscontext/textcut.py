"""Cutting text for people: at a word boundary, with an ellipsis that says something was cut."""

from __future__ import annotations

ELLIPSIS = "…"
# Back up to a space only this far: a 2,000-character token with no spaces is cut where it must be.
MAX_BACKTRACK = 0.3


def shorten(text: str, limit: int) -> str:
    """``text`` when it fits in ``limit`` characters; otherwise its longest prefix ending at a word
    boundary (or mid-word, when no boundary is near) plus ``…``, ``limit`` characters at most."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    head = text[: limit - 1]
    if not text[limit - 1].isspace():  # the cut falls inside a word: back up to its start
        space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        if space >= (1 - MAX_BACKTRACK) * len(head):
            head = head[:space]
    return head.rstrip(" \t\n,;:.-") + ELLIPSIS
