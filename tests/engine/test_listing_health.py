"""correlate_alerts' listing with a health source's verdicts: each page is that page of every group
ranked with its verdicts and sorted; the groups a page may show are known before asking; the
kept correlation is left as it was; a user-impact lead survives the ranking."""

from __future__ import annotations

import pytest
from test_correlation_lazy import _eager, _lazy

from opscontext.engine.correlation.health import Health, HealthMap, HealthVerdict
from opscontext.engine.correlation.lazy import LazyCorrelation
from opscontext.engine.correlation.models import AlertGroup
from opscontext.queries.correlate_order import Listing, led_again

DEGRADED = HealthVerdict(Health.DEGRADED, "error ratio 0.1% -> 40%")
SERVING = HealthVerdict(Health.SERVING, "error ratio 0.1%")


def _verdicts(lazy: LazyCorrelation) -> dict[int, HealthMap]:
    """Every other group's first quiet candidate degraded, its second serving."""
    out: dict[int, HealthMap] = {}
    for pos in range(0, len(lazy), 2):
        quiet = lazy.silent_candidates(pos)
        out[pos] = dict(zip(quiet[:2], (DEGRADED, SERVING), strict=False))
    return out


def _sorted(groups: list[AlertGroup]) -> list[AlertGroup]:
    return sorted(groups, key=lambda g: (-g.alert_count, -g.confidence))


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("size", [1, 3, 20])
def test_each_page_with_verdicts_is_that_page_of_every_group_ranked_with_them_and_sorted(seed: int, size: int) -> None:
    health = _verdicts(_lazy(seed))
    everything = _lazy(seed)
    expected = _sorted([everything.group_with(p, health[p]) if p in health else everything.group(p)
                        for p in range(len(everything))])
    assert any(g.primary_contributor not in g.services for g in expected), "some verdict named a quiet service"
    for start in range(0, len(expected) + size, size):
        lazy = _lazy(seed)
        listing = Listing(lazy)
        shown, mine = listing.span(start, size)
        without = [g.id for g in listing.page(start, size)]
        page = listing.page(start, size, health)
        assert page == expected[start:start + size]
        assert mine == len(without)
        assert [lazy.group(p).id for p in shown[:mine]] == without, "the page's own groups are asked first"
        assert {g.id for g in page} <= {lazy.group(p).id for p in shown}, "every group it shows was asked about"


@pytest.mark.parametrize("seed", range(2))
def test_verdicts_leave_the_kept_groups_as_the_eager_correlation_made_them(seed: int) -> None:
    lazy = _lazy(seed)
    Listing(lazy).page(0, len(lazy), _verdicts(lazy))
    assert [lazy.group(p) for p in range(len(lazy))] == _eager(seed).groups


def test_a_user_impact_lead_is_kept_before_the_summary_the_verdicts_give() -> None:
    lazy = _lazy(0)
    health = _verdicts(lazy)
    pos = next(p for p in health if lazy.group_with(p, health[p]) != lazy.group(p))
    kept, made = lazy.group(pos), lazy.group_with(pos, health[pos])
    led = kept.model_copy(update={"summary": "Users: checkout pages. " + kept.summary})
    assert led_again(led, kept, made) == made.model_copy(update={"summary": "Users: checkout pages. " + made.summary})
    assert led_again(led, kept, kept) is led and led_again(None, kept, made) is made
