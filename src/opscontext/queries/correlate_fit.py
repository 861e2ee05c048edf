"""Fitting correlate_alerts' answer into its token budget, cutting the least useful first.

Order of cuts for the default answer (each step only when the previous answer does not fit):

1. every group in full (five example alerts, all evidence, every member);
2. a summary of each group (three examples, two evidence lines per candidate, top five services
   and impacted services, five flapping keys), then a brief one (one example, one line, three),
   both still with *every* fingerprint: callers that score or join on fingerprints see them all
   whenever the answer can hold them;
3. fingerprints cut per group, smallest groups kept whole (one cap for all: a group shows
   ``min(size, cap)``, the largest cap that fits), at summary detail and then brief;
4. fewer groups (the largest first), each brief, then the largest fingerprint cap that fits.

A page of one group's members (``group_id``) shows the group with all its evidence and as many
of its members as fit, in :func:`~opscontext.queries.correlate_view.members` order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from opscontext.budget import answer_tokens, largest_fitting
from opscontext.engine.correlation.models import AlertGroup
from opscontext.queries.correlate_view import BRIEF, FULL, SUMMARY, Detail, GroupView, members, page, view

A = TypeVar("A", bound=BaseModel)
Make = Callable[[list[GroupView], Detail], A]


def fit_groups(groups: list[AlertGroup], make: Make[A], budget: int) -> A:
    """The answer ``make`` builds from views of ``groups`` (ranked, best first) that fits
    ``budget``, cutting in the order of the module docstring. ``make`` receives the views shown
    and the detail they were made at; it counts what was left out from them."""

    def at(detail: Detail, k: int) -> A:
        return make([view(g, detail) for g in groups[:k]], detail)

    def fits(answer: A) -> bool:
        return answer_tokens(answer) <= budget

    n = len(groups)
    # A listed fingerprint costs at least two tokens (itself and a separator): past budget / 2 of
    # them nothing can fit, and building such answers only to reject them is the slow part at scale.
    most = budget // 2
    if sum(len(g.fingerprints) for g in groups) <= most:
        for detail in (FULL, SUMMARY, BRIEF):
            answer = at(detail, n)
            if fits(answer):
                return answer
    longest = min(max((len(g.fingerprints) for g in groups), default=0), most)
    for detail in (SUMMARY, BRIEF):
        if fits(at(detail.capped(0), n)):
            return largest_fitting(lambda cap, d=detail: at(d.capped(cap), n), longest, budget)[0]  # type: ignore[misc]
    _, k = largest_fitting(lambda count: at(BRIEF.capped(0), count), n, budget, least=min(1, n))
    return largest_fitting(lambda cap: at(BRIEF.capped(cap), k), longest, budget)[0]


def fit_page(group: AlertGroup, start: int, make: Callable[[GroupView], A], budget: int) -> tuple[A, int]:
    """One page of ``group``'s members from ``start`` that fits ``budget`` (at least one member,
    when any is left), and how many members it shows."""
    left = max(0, len(members(group)) - start)
    return largest_fitting(lambda size: make(page(group, start, size)), left, budget, least=min(1, left))
