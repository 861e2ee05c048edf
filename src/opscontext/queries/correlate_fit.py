"""Fitting correlate_alerts' answer into its token budget, cutting the least useful first.

Order of cuts for the default answer (each step only when the previous answer does not fit):

1. every group in full (five example alerts, all evidence, every member);
2. a summary of each group (three examples, two evidence lines per candidate, top five services
   and impacted services, five flapping keys), then a brief one (one example, one line, three),
   then its bones (no example, one line of the primary's evidence, the candidates ranked, two
   services), all still with *every* fingerprint: callers that score or join on fingerprints see
   them all whenever the answer can hold them;
3. fingerprints cut per group, smallest groups kept whole (one cap for all: a group shows
   ``min(size, cap)``, the largest cap that fits, at least ``FLOOR``), at summary detail, then
   brief, then bare;
4. fewer groups (the largest first), each bare with ``FLOOR`` fingerprints, then the largest
   cap that fits.

A page of one group's members (``group_id``) shows the group with all its evidence and as many
of its members as fit, in :func:`~opscontext.queries.correlate_view.members` order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from opscontext.budget import largest_fitting, remembered_sizes
from opscontext.engine.correlation.models import AlertGroup
from opscontext.queries.correlate_view import BARE, BRIEF, FULL, SUMMARY, Detail, GroupView, members, page, view

A = TypeVar("A", bound=BaseModel)
# Fingerprints every listed group keeps before another group is listed: a group shown by name
# alone says which incident, but not which alerts belong to it (a small group stays whole).
FLOOR = 5
Make = Callable[[list[GroupView], Detail], A]


def fit_groups(groups: list[AlertGroup], make: Make[A], budget: int) -> A:
    """The answer ``make`` builds from views of ``groups`` (ranked, best first) that fits
    ``budget``, cutting in the order of the module docstring. ``make`` receives the views shown
    and the detail they were made at; it counts what was left out from them.

    Each try is built and sized once (the same try recurs between steps), and the richer details
    of a step are tried only when its barest one fits: an answer holding more of the same groups
    is no smaller. Sizing was most of a warm call on the demo world (20 estimates of up to 11k
    tokens each); it now takes 13, and the answer chosen is the same."""
    made: dict[tuple[Detail, int], A] = {}
    # A group's view at one detail is the same in every try that lists it (tries differ in how
    # many groups they list): made once per call.
    views: dict[tuple[int, Detail], GroupView] = {}
    tokens = remembered_sizes()

    def one(i: int, detail: Detail) -> GroupView:
        shown = views.get((i, detail))
        if shown is None:
            shown = views[(i, detail)] = view(groups[i], detail)
        return shown

    def at(detail: Detail, k: int) -> A:
        answer = made.get((detail, k))
        if answer is None:
            answer = made[(detail, k)] = make([one(i, detail) for i in range(min(k, len(groups)))], detail)
        return answer

    def fits(answer: A) -> bool:
        return tokens(answer) <= budget

    n = len(groups)
    # A listed fingerprint costs at least two tokens (itself and a separator): past budget / 2 of
    # them nothing can fit, and building such answers only to reject them is the slow part at scale.
    most = budget // 2
    if sum(len(g.fingerprints) for g in groups) <= most and fits(at(BARE, n)):
        for detail in (FULL, SUMMARY, BRIEF, BARE):
            answer = at(detail, n)
            if fits(answer):
                return answer
    longest = min(max((len(g.fingerprints) for g in groups), default=0), most)
    floor = min(FLOOR, longest)
    if fits(at(BARE.capped(floor), n)):
        for detail in (SUMMARY, BRIEF, BARE):
            if fits(at(detail.capped(floor), n)):
                return largest_fitting(lambda cap, d=detail: at(d.capped(cap), n), longest, budget,  # type: ignore[misc]
                                       least=floor, measure=tokens)[0]
    _, k = largest_fitting(lambda count: at(BARE.capped(floor), count), n, budget, least=min(1, n), measure=tokens)
    least = floor if fits(at(BARE.capped(floor), k)) else 0  # one group too big even so: cut it deeper
    return largest_fitting(lambda cap: at(BARE.capped(cap), k), longest, budget, least=least, measure=tokens)[0]


def fit_page(group: AlertGroup, start: int, make: Callable[[GroupView], A], budget: int) -> tuple[A, int]:
    """One page of ``group``'s members from ``start`` that fits ``budget`` (at least one member,
    when any is left), and how many members it shows."""
    left = max(0, len(members(group)) - start)
    return largest_fitting(lambda size: make(page(group, start, size)), left, budget, least=min(1, left))
