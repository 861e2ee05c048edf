"""Token budgets: how big an answer may be, and a cheap, cautious count of how big one is.

Every tool answer is sized for a model's context window: by default at most ``DEFAULT_TOKENS``
(2,000; ``limits.answer_tokens`` in the settings). Tokens are what a model pays; the project
measures them with tiktoken's ``o200k_base`` encoding (``evalkit.tokens``, a development-only
dependency). The server itself does not ship a tokenizer: :func:`estimate` approximates o200k
from the same pre-tokenization o200k applies (words split at case changes, digits in threes,
punctuation runs), charging long words and non-Latin text extra. It errs high: on the answers of
the demo and of a 5,000-service world it counts 0-15 % more tokens than o200k (a test keeps it
that way), so an answer the estimate fits is within budget for o200k too.

:func:`largest_fitting` finds the longest prefix of a list that keeps an answer within budget,
for answers that cut lists; each answer then says how much it left out and how to get the rest.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, Field

DEFAULT_TOKENS = 2_000
UNBOUNDED = 10**9  # the budget of a caller that wants whole answers (a query called from Python)

# o200k's pre-tokenizer, restated with the standard library's ``re`` (no \p{..} classes):
# a word with at most one leading non-letter (its case changes split it), a run of up to three
# digits, a punctuation run with one optional leading space, or whitespace.
_PIECE = re.compile(
    r"[^\r\n\w]?[A-Z]*[a-z]+|[^\r\n\w]?[A-Z]+[a-z]*"
    r"|[^\W\d_]+"
    r"|\d{1,3}"
    r"| ?(?:[^\s\w]|_)+[\r\n/]*"
    r"|\s+"
)
_ASCII_WORD = re.compile(r"[^\r\n\w]?[A-Za-z]+")
# Mean o200k tokens of an ASCII word by its letters, after no prefix / a space / punctuation
# (measured over the answers of the demo and of a 5,000-service world; the last entry holds
# for longer words, per letter beyond the table).
_BARE = (1.0, 1.0, 1.0, 1.4, 1.1, 1.15, 1.15, 1.15, 1.5, 1.95, 1.95, 2.0, 2.0)
_SPACED = (1.0, 1.0, 1.0, 1.05, 1.05, 1.05, 1.05, 1.05, 1.6, 1.6, 1.6, 1.6, 1.6)
_PREFIXED = (1.0, 1.0, 1.05, 1.8, 1.25, 1.35, 1.5, 1.65, 2.35, 2.35, 2.35, 3.1, 3.1)
PER_LETTER_BEYOND = 0.25
_PUNCT = (1.0, 1.0, 1.0, 1.1, 1.4, 1.6, 2.3)  # by characters; beyond: one token per 2 characters
MARGIN = 1.02  # errs high, so an answer the estimate fits fits o200k too


def _word(piece: str) -> float:
    if piece[0].isalpha():
        table, letters = _BARE, len(piece)
    else:
        table, letters = (_SPACED if piece[0] == " " else _PREFIXED), len(piece) - 1
    if letters < len(table):
        return table[letters]
    return table[-1] + (letters - len(table) + 1) * PER_LETTER_BEYOND


def _piece(piece: str) -> float:
    if piece.isspace():
        return 1.0
    if _ASCII_WORD.fullmatch(piece):
        return _word(piece)
    if piece.isdigit():
        return 1.0
    if any(c.isalpha() for c in piece):
        return float(len(piece))  # non-Latin script: about a token a character, at worst
    marks = len(piece.strip()) or 1
    return _PUNCT[marks] if marks < len(_PUNCT) else marks / 2


# Where a JSON text may be cut without changing its pieces: right after a letter or digit that a
# closing quote, brace or bracket and then a comma follow (the end of a value inside a list or an
# object). A letter's or digit's piece always ends at such a character, and the regex starts the
# next piece there whether or not the text before it is present; so the pieces of the whole are the
# pieces of its parts (a test holds the two counts equal on every answer shape).
_CUT = re.compile(r"[A-Za-z0-9]\"?[}\]]+,")  # the cut falls after the match's first character
_CHUNKED_FROM = 512  # characters; shorter texts are counted whole
# Longer texts and parts are counted without being remembered: the memory holds answers sized for
# a model (a few KB each), not a whole correlation asked for from Python.
_WHOLE_KEPT_UP_TO = 1 << 16
_PART_KEPT_UP_TO = 1 << 12


def _units(text: str) -> int:
    """``text``'s pieces summed, in hundredths of a token (exact: every piece's charge is)."""
    return sum(map(_hundredths, _PIECE.findall(text)))


@functools.lru_cache(maxsize=1 << 16)  # answers repeat their keys, words and punctuation runs
def _hundredths(piece: str) -> int:
    return round(_piece(piece) * 100)


@functools.lru_cache(maxsize=1 << 13)
def _chunk_units(chunk: str) -> int:
    return _units(chunk)


def estimate(text: str) -> int:
    """A cautious estimate of o200k tokens in ``text`` (see the module docstring).

    Fitting an answer to a budget sizes several tries that share most of their text (the same
    groups at more or less detail), and warm calls size the same answers again: the text is cut
    where its pieces allow (:data:`_CUT`, one object of a list after another) and each part's
    count is remembered, so only the parts that differ are read again."""
    if len(text) < _CHUNKED_FROM:
        return int(_units(text) * MARGIN / 100) + 1
    if len(text) <= _WHOLE_KEPT_UP_TO:
        return _kept(text)
    return _chunked(text)


@functools.lru_cache(maxsize=256)  # whole answers: a warm call often sizes the very same text
def _kept(text: str) -> int:
    return _chunked(text)


def _chunked(text: str) -> int:
    total, start = 0, 0
    for m in _CUT.finditer(text):
        cut = m.start() + 1
        total += _part(text[start:cut])
        start = cut
    total += _part(text[start:])
    return int(total * MARGIN / 100) + 1


def _part(chunk: str) -> int:
    return _chunk_units(chunk) if len(chunk) <= _PART_KEPT_UP_TO else _units(chunk)


def omitted() -> int:
    """A ``<list>_omitted`` count field beside ``<list>``: how many items the list left out. Absent
    from the answer when nothing was left out (a zero costs tokens and says nothing), and without
    a description: the name says it all (the README and the notes say how to get the rest)."""
    result: int = Field(default=0, exclude_if=lambda v: v == 0)
    return result


def next_cursor(description: str) -> str | None:
    """A ``next_cursor`` field: pass it back as ``cursor`` for the next page. Absent when there is
    no next page."""
    result: str | None = Field(default=None, exclude_if=lambda v: v is None, description=description)
    return result


def answer_tokens(answer: BaseModel) -> int:
    """Estimated tokens of ``answer`` as the compact JSON a client receives."""
    return estimate(answer.model_dump_json())


def remembered_sizes() -> Callable[[BaseModel], int]:
    """:func:`answer_tokens`, remembered per answer object: for one fitting, where the same try
    is asked about more than once. Each sized answer is kept alive with its size, so an id is
    never reused while it is remembered."""
    known: dict[int, tuple[BaseModel, int]] = {}

    def measure(answer: BaseModel) -> int:
        hit = known.get(id(answer))
        if hit is None or hit[0] is not answer:
            hit = known[id(answer)] = (answer, answer_tokens(answer))
        return hit[1]

    return measure


M = TypeVar("M", bound=BaseModel)


def largest_fitting(
    build: Callable[[int], M], most: int, budget: int, least: int = 0,
    measure: Callable[[M], int] = answer_tokens,
) -> tuple[M, int]:
    """``build(n)`` for the largest ``n`` in ``least..most`` whose answer fits ``budget``, and
    that ``n``; ``build(least)`` when none does. ``build`` must grow with ``n`` (a list's prefix).
    ``measure``: the answer's tokens (a caller that has sized some answers already passes its
    own memory of them).

    Bisection: at most about log2(most) builds, each estimated once.
    """
    best = build(most)
    if most <= least or measure(best) <= budget:
        return best, most
    low, high = least, most - 1  # the answer at `high + 1` is known not to fit
    best = build(low)
    while low < high:
        mid = (low + high + 1) // 2
        candidate = build(mid)
        if measure(candidate) <= budget:
            low, best = mid, candidate
        else:
            high = mid - 1
    return best, low
