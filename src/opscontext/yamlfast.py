"""YAML streams parsed by a Rust parser when that gives exactly what PyYAML's safe loader gives.

PyYAML's ``CSafeLoader`` scans with libyaml in C but builds every node and value in Python: at
50,000 catalog entities that is ~4 s of CPU. ``yaml-rs`` (a Rust YAML 1.2 parser with a Python
binding, safe: it never constructs objects from tags) builds the same documents ~7x faster.

The two do not always agree. PyYAML follows YAML 1.1: ``yes``/``no``/``on``/``off`` are booleans,
``0777`` is octal, ``1:30`` is sexagesimal, ``1e3`` is a string, ``<<`` merges mappings, tags such
as ``!!binary`` make bytes; and it refuses some input yaml-rs accepts (control characters, tabs
in odd places, unknown tags). Callers rely on PyYAML's values, so :func:`load_documents` takes
the fast path only for text where the two cannot differ, and otherwise (or when yaml-rs is not
installed, or fails on the text) parses with PyYAML as before:

* the text holds none of the constructs where the two differ (tags, ``<<``, directives, a byte
  order mark, complex ``?`` keys, tabs, flow mappings with content, characters PyYAML refuses,
  line breaks other than LF/CRLF, anchors PyYAML names or counts otherwise, ``...`` markers,
  indicators PyYAML reads otherwise in flow sequences, lines long enough to nest deeply); the
  patterns below say each one and why, and were found by differential fuzzing;
* every distinct plain scalar that either resolver could read as something other than a string
  (one starting with a digit, sign, ``.``, ``~``, ``=`` or ``<``, or a boolean/null word) is
  resolved by both parsers, all in one probe document, and must come out equal and of one type.

Anything that looks like such a scalar counts, even inside quotes or a block of text: a false
alarm only costs the slow path, never a different value.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from opscontext.yamlbound import load_all

log = logging.getLogger(__name__)

_SAFE_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Constructs where PyYAML (YAML 1.1) and yaml-rs (YAML 1.2) build different values or where only
# one of them refuses the text. PyYAML's reader refuses the characters outside this class.
# A merge key; tabs (PyYAML refuses some); a byte order mark; line breaks other than "\n" and
# "\r\n" (YAML 1.1 also breaks lines at NEL, LS and PS; a lone CR would hide a line start from
# the scans below).
_UNSAFE_TEXT = ("<<", "\t", "\ufeff", "\x85", "\u2028", "\u2029")
_LONE_CR = re.compile(r"\r(?!\n)")
# Each pattern is searched only when its first character occurs at all (a plain `in` is ~50x
# faster than a regex over a 15 MB catalog).
_UNSAFE = {
    "!": re.compile(r"(?:^|[\s\[{,:])!", re.MULTILINE),  # a tag: !!binary, !!set, local !tags
    "%": re.compile(r"^%", re.MULTILINE),  # a directive (%YAML 1.1 ...)
    "?": re.compile(r"^[ -]*\?(?:[ ]|$)", re.MULTILINE),  # a complex mapping key
    # a flow mapping with content (`{a:yes}` is a pair only in YAML 1.1)
    "{": re.compile(r"(?:^|[\s\[{,:])\{[ ]*[^\s}]", re.MULTILINE),
}
# Nesting depth kept to ~270 levels: under libyaml's limit of 1,000, and under the depth at which
# yaml-rs overflows its stack, a crash rather than an error (~1,000 levels with a 1 MiB thread
# stack, 600-800 with 512 KiB, over 10,000 with Linux's default 8 MiB). A block level takes a
# column of indentation (at most 150 here), a flow level a `[` (fewer than 60 on a line, and a
# flow sequence never spans lines, see _ODD_START), a compact one `- ` (fewer than 60 in a row).
# A line of 1,000 characters or more also goes to PyYAML (its 1,024-character implicit keys).
_DEEP = (
    re.compile(r"\n[^\n]{1000}"),
    re.compile(r"\n[ ]{150}"),
    re.compile(r"\[(?:[^\n\[]*\[){59}"),
    re.compile(r"- (?:[ ]*-[ ]+){59}"),
)
# An anchor or alias, named as YAML 1.2 names them. PyYAML ends a name at the first character
# other than a letter, digit, `-` or `_` (`&a:b` is anchor `a`), refuses one defined twice in a
# document where YAML 1.2 lets the second win: only plain names used once are left to yaml-rs.
# (A bare `&` or `*`, as in `Search & Discovery`, names nothing: both parsers agree on it.)
_ANCHOR = re.compile(r"(?:^|[\s\[{,])([&*])([^\s,\[\]{}]+)", re.MULTILINE)
_ANCHOR_NAME = re.compile(r"[0-9A-Za-z_-]+")
# Where a node can start, an indicator the two read differently, or a document end marker (after
# it PyYAML wants `---`, YAML 1.2 starts a bare document): an empty implicit key (`: x`:
# PyYAML refuses it, yaml-rs reads None), and in a flow sequence `|x`, `>x`, `:x` (PyYAML refuses
# them, yaml-rs reads strings), a lone `-` or `?` (one refuses, the other reads a string or null).
_ODD_START = (
    re.compile(r"\n[ ]*(?=[-:|>.])(?:(?:-[ ]+)*:(?:[ ]|$)|[|>]|(?<=\n)\.\.\.(?:[ ]|$))", re.MULTILINE),
    re.compile(r"[\[{,][ ]*(?::|[|>]|[?-](?=[ ,\]]|$))", re.MULTILINE),
    # in a flow sequence PyYAML reads every `?` as a key and `a:[` as a pair; one continued on
    # the next line is left to it too
    re.compile(r"\[[^\]\n]*(?:\?|:[,\[\]{}]|$)", re.MULTILINE),
)
_UNPRINTABLE = re.compile(
    r"[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]"
)
# A plain scalar either resolver may read as a non-string (a number, a date, null, a boolean
# word, `=`), wherever a node can start: after `: `, `- `, `[` or `,`, or at a line start (a key);
# it ends where a plain scalar ends. Each pattern starts with a literal so the scan is quick.
_WORDS = "|".join(
    f"{w}|{w.capitalize()}|{w.upper()}" for w in ("yes", "no", "on", "off", "true", "false", "null")
)
_TOKEN = (
    r"(?:&\S+[ ]+)?"  # an anchor before the scalar
    r"(?!(?:---|\.\.\.)(?:[ ]|$))"  # not a document marker
    rf"((?:(?:-(?=[^\s-])|[+.0-9~=<])[^\n#,\]}}]*?)|(?:{_WORDS}|[yYnN]))"
    r"(?=[ ]*(?:$|#|[,\]}}]|:(?:[ ]|$)))"
)
_CANDIDATES = tuple(
    re.compile(prefix + _TOKEN, re.MULTILINE)
    for prefix in (
        r":[ ]*(?=[-+.0-9~=<&yYnNoOtTfF])",  # after a quoted key, `"a":yes` is a pair too
        r"-[ ]+(?=[-+.0-9~=<&yYnNoOtTfF])",
        r"\[[ ]*(?=[-+.0-9~=<&yYnNoOtTfF])",
        r",[ ]*(?=[-+.0-9~=<&yYnNoOtTfF])",
        r"\n[ ]*(?=[-+.0-9~=<&yYnNoOtTfF])",  # a line start (the text is searched after a newline)
    )
)
# Fast parse of a whole stream; None when the fast path does not apply (the caller falls back).
FastParse = Callable[[str], list[Any] | None]


Loads = Callable[[str], Any]  # a whole stream: one document bare, several as a list


def _rust_loads() -> Loads | None:
    try:
        import yaml_rs
    except ImportError:
        return None
    policy = yaml_rs.DuplicateKeyPolicy.LastWins  # PyYAML keeps the last of duplicate keys

    def loads(text: str) -> Any:
        # Dates stay strings: yaml-rs would also turn a *quoted* '2024-01-15' into a date. A
        # plain date, which PyYAML reads as one, is a candidate that disagrees: PyYAML parses.
        return yaml_rs.loads(text, parse_datetime=False, duplicate_key_policy=policy)

    return loads


RUST: Loads | None = _rust_loads()  # None when yaml-rs is not installed


def _reraise_interrupt(exc: BaseException) -> None:
    """A Rust panic reaches Python as pyo3's ``PanicException``, a ``BaseException``: it is a
    failure of the parser like any ``Exception``; an interrupt or an exit is not."""
    if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
        raise exc


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _agree(tokens: list[str], loads: Loads) -> bool:
    """Both parsers read every token as the same value of the same type, as key and as value.

    One probe document for all tokens (a pair ``token: token`` per sequence entry), so a catalog
    with thousands of distinct numbers costs one small parse each way, not thousands."""
    if not tokens:
        return True
    text = "".join(f"- {t}: {t}\n" for t in tokens)
    try:
        ours, theirs = yaml.load(text, Loader=_SAFE_LOADER), loads(text)
    except BaseException as exc:  # either refusing a token is a disagreement
        _reraise_interrupt(exc)
        return False
    if not (isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs)):
        return False
    return all(_same_pair(x, y) for x, y in zip(ours, theirs, strict=True))


def _same_pair(ours: Any, theirs: Any) -> bool:
    if not (isinstance(ours, dict) and isinstance(theirs, dict) and len(ours) == len(theirs) == 1):
        return False
    (k1, v1), (k2, v2) = next(iter(ours.items())), next(iter(theirs.items()))
    return _same(k1, k2) and _same(v1, v2)


def fast_safe(text: str, loads: Loads) -> bool:
    """True when yaml-rs reads ``text`` exactly as PyYAML's safe loader would (see module doc)."""
    if any(s in text for s in _UNSAFE_TEXT) or _UNPRINTABLE.search(text):
        return False
    if "\r" in text and _LONE_CR.search(text):
        return False
    if any(c in text and p.search(text) for c, p in _UNSAFE.items()):
        return False
    if ("&" in text or "*" in text) and not _plain_anchors(text):
        return False
    lines = "\n" + text  # every line, the first too, starts after a newline
    if any(p.search(lines) for p in (*_DEEP, *_ODD_START)):
        return False
    return _agree(sorted(candidates(lines)), loads)


def _plain_anchors(text: str) -> bool:
    """Every anchor and alias has a name PyYAML reads whole, and no anchor is defined twice (in
    one document or in two: either way PyYAML decides)."""
    found = _ANCHOR.findall(text)
    if not all(_ANCHOR_NAME.fullmatch(name) for _, name in found):
        return False
    anchors = [name for mark, name in found if mark == "&"]
    return len(anchors) == len(set(anchors))


def candidates(text: str) -> set[str]:
    """The distinct plain scalars of ``text`` (which starts with a newline) that a resolver might
    not read as strings."""
    return {t.rstrip(" ") for p in _CANDIDATES for t in p.findall(text)}


def fast_documents(text: str, loads: Loads | None = RUST) -> list[Any] | None:
    """Every document of the stream parsed by ``loads`` (yaml-rs), or None where PyYAML must
    parse it: yaml-rs is missing, the text is not safe for it (:func:`fast_safe`), or it failed."""
    if loads is None:
        return None
    # Both parsers read CRLF as one line break and fold it as they fold "\n"; the scans and the
    # parse then see plain newlines.
    text = text.replace("\r\n", "\n") if "\r" in text else text
    if not fast_safe(text, loads):
        return None
    try:
        # yaml-rs returns a lone document bare and several as a list; a leading sentinel
        # document makes it always a list (the empty document it may add is dropped as None).
        parsed = loads("--- 0\n---\n" + text)
    except BaseException as exc:  # any failure: PyYAML parses the text and reports what is wrong
        _reraise_interrupt(exc)
        log.debug("yaml-rs failed (%s); parsing with PyYAML", type(exc).__name__)
        return None
    if not isinstance(parsed, list) or not parsed or parsed[0] != 0:
        return None
    return parsed[1:]


def load_documents(text: str, *, fast: FastParse | None = fast_documents) -> Iterator[Any]:
    """The non-empty documents of a YAML stream, as PyYAML's safe loader gives them.

    Raises PyYAML's ``yaml.YAMLError`` while iterating over text that is not YAML (the fast path
    never raises: on any failure PyYAML parses the text, and its error names the line).
    ``fast=None`` forces PyYAML (tests, and the floor the benchmarks measure)."""
    docs = fast(text) if fast is not None else None
    if docs is None:
        return (d for d in load_all(text) if d is not None)  # each document measured for aliases first
    return _drain(docs)


def _drain(docs: list[Any]) -> Iterator[Any]:
    """Each document once, let go as soon as the caller moves on: what the caller builds from
    them replaces them one by one instead of piling up beside all of them (the peak memory of
    PyYAML's one-document-at-a-time parse)."""
    for i, doc in enumerate(docs):
        docs[i] = None
        if doc is not None:
            yield doc
            del doc
