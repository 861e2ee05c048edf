"""The items of a JSON array, one at a time, so a large file need not exist as one list.

``json.loads`` of a 58 MB Alertmanager snapshot (100k alerts) builds every alert's dicts, lists
and strings before the first one is looked at: ~210 MiB on top of the text, all alive until the
caller has mapped the last item. :func:`items` decodes one element at a time with the stdlib
decoder (C speed per element), so each raw item can be mapped and dropped before the next is
made. Errors are the stdlib's: a malformed document raises ``json.JSONDecodeError`` naming the
position, whether the fault is in the first item or the last.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_SPACE = re.compile(r"[ \t\n\r]*")  # JSON's whitespace (RFC 8259 section 2)
_BLANK = frozenset(" \t\n\r")
_DECODER = json.JSONDecoder()


class NotAnArray(ValueError):
    """The document is valid JSON whose top level is not an array."""


def _space(text: str, pos: int = 0) -> int:
    """The end of the whitespace run at ``pos`` (the pattern always matches, possibly empty)."""
    return _SPACE.match(text, pos).end()  # type: ignore[union-attr]


def items(text: str) -> Iterator[Any]:
    """Each element of the JSON array ``text``, in order. Raises ``json.JSONDecodeError`` for a
    malformed document and :class:`NotAnArray` when its top level is another JSON value."""
    space = _space
    pos = space(text)
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    if text[pos : pos + 1] != "[":
        json.loads(text)  # the stdlib's error for malformed text; valid text is another value
        raise NotAnArray("the top level is not a JSON array")
    pos = space(text, pos + 1)
    if text[pos : pos + 1] != "]":
        decode = _DECODER.raw_decode
        while True:
            item, pos = decode(text, pos)
            yield item
            mark = text[pos : pos + 1]
            if mark in _BLANK:
                pos = space(text, pos)
                mark = text[pos : pos + 1]
            if mark == ",":
                pos += 1
                if text[pos : pos + 1] in _BLANK:  # the regex only when there is whitespace to skip
                    pos = space(text, pos)
                continue
            if mark == "]":
                break
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
    end = space(text, pos + 1)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
