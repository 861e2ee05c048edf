"""Fit the briefing into its token budget by cutting its least useful parts first.

Size is every tool's estimate (:func:`opscontext.budget.answer_tokens` over the answer's compact
JSON): it errs high against tiktoken's ``o200k_base``, so a briefing reported within budget is
within it for o200k too (a test holds both). The runtime needs no tokenizer.

Cuts go from what a responder misses least (the fifth suspect change, the sixth impacted
service) to what they miss most (the runbook excerpt, the second owner); every cut list keeps
its ``*_omitted`` count, so a cut is never silent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from opscontext.briefing.models import IncidentContext
from opscontext.budget import answer_tokens, largest_fitting, remembered_sizes
from opscontext.models import SourceState
from opscontext.textcut import shorten

M = TypeVar("M", bound=BaseModel)
Step = Callable[[IncidentContext], IncidentContext]


def cut(part: M, field: str, keep: int) -> M:
    """``part`` with list ``field`` cut to ``keep`` items and ``{field}_omitted`` counting the rest."""
    items: list[Any] = getattr(part, field)
    if len(items) <= keep:
        return part
    omitted = f"{field}_omitted"
    return part.model_copy(update={field: items[:keep], omitted: getattr(part, omitted) + len(items) - keep})


def _in(name: str, field: str, keep: int) -> Step:
    def step(a: IncidentContext) -> IncidentContext:
        part = getattr(a, name)
        return a if part is None else a.model_copy(update={name: cut(part, field, keep)})

    return step


def _on_call(keep: int) -> Step:
    def step(a: IncidentContext) -> IncidentContext:
        return a.model_copy(update={"owners": [cut(o, "on_call", keep) for o in a.owners]})

    return step


def _top(field: str, keep: int) -> Step:
    return lambda a: cut(a, field, keep)


def _excerpt(chars: int | None) -> Step:
    def step(a: IncidentContext) -> IncidentContext:
        if a.runbook is None or a.runbook.excerpt is None:
            return a
        excerpt = None if chars is None else shorten(a.runbook.excerpt, chars)
        return a.model_copy(update={"runbook": a.runbook.model_copy(update={"excerpt": excerpt})})

    return step


def _summary(chars: int) -> Step:
    def step(a: IncidentContext) -> IncidentContext:
        if a.group is None:
            return a
        return a.model_copy(update={"group": a.group.model_copy(update={"summary": shorten(a.group.summary, chars)})})

    return step


def _sources_ok_last(a: IncidentContext) -> IncidentContext:
    ordered = sorted(a.sources, key=lambda s: s.state is SourceState.OK)
    return a.model_copy(update={"sources": ordered})


BLAST_LISTS = ("nearest", "user_facing_reached", "high_tier_reached")


def _lists(name: str, fields: tuple[str, ...], keep: int) -> tuple[Step, ...]:
    return tuple(_in(name, f, keep) for f in fields)


STEPS: tuple[Step, ...] = (
    _in("suspects", "changes", 4),
    *_lists("blast", BLAST_LISTS, 5),
    _in("group", "services", 6),
    _in("impact", "health", 5),
    _in("impact", "slo", 4),
    _in("group", "alternatives", 2),
    _in("group", "other_groups", 2),
    _excerpt(500),
    _in("group", "services", 4),
    _in("group", "evidence", 3),
    _in("suspects", "changes", 3),
    *_lists("blast", BLAST_LISTS, 3),
    _in("impact", "user_facing_alerting", 4),
    _in("impact", "slo", 3),
    _in("impact", "health", 3),
    _in("impact", "slo", 2),
    _top("notes", 3),
    _excerpt(300),
    _in("group", "alternatives", 1),
    _in("group", "other_groups", 1),
    _in("group", "evidence", 2),
    _in("suspects", "changes", 2),
    _in("group", "services", 2),
    *_lists("blast", BLAST_LISTS, 2),
    _top("notes", 1),
    _summary(120),
    _on_call(2),
    _excerpt(150),
    _in("suspects", "changes", 1),
    _top("owners", 1),
    _on_call(1),
    _excerpt(None),
    _top("notes", 0),
    # Last resort: what the headline and the first steps already say, then the sources that are ok.
    _in("impact", "slo", 1),
    _in("group", "alternatives", 0),
    _in("group", "other_groups", 0),
    _in("group", "evidence", 1),
    _in("group", "services", 0),
    *_lists("blast", BLAST_LISTS, 1),
    _in("impact", "user_facing_alerting", 2),
    _sources_ok_last,
    _top("sources", 5),
    _top("sources", 3),
)


def fit(answer: IncidentContext, max_tokens: int) -> IncidentContext:
    """``answer`` cut step by step until it fits ``max_tokens``; ``tokens`` set to its size. When
    even the smallest answer is bigger, it is returned with a note saying so, never silently.

    Every cut is a prefix of ``STEPS``; the fewest steps that fit are found by bisection (the
    estimate reads the whole answer, so about 7 estimates instead of up to 46)."""
    # The count itself takes room: measure with a placeholder at least as wide as the result.
    states = [answer.model_copy(update={"tokens": 10 * max_tokens})]
    for step in STEPS:
        states.append(step(states[-1]))
    tokens = remembered_sizes()
    fitted, _ = largest_fitting(lambda kept: states[len(STEPS) - kept], len(STEPS), max_tokens, measure=tokens)
    size = tokens(fitted)  # most often sized already by the search
    if size > max_tokens:
        note = f"Over budget: even cut to its essentials this briefing takes about {size} tokens (asked: {max_tokens})."
        fitted = fitted.model_copy(update={"notes": [*fitted.notes, note]})
        size = answer_tokens(fitted)
    return fitted.model_copy(update={"tokens": size})
