"""The token budget's parts: the estimate, the search for what fits, cursors, and the order in
which correlate_alerts cuts (fingerprints last, before whole groups)."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel

from evalkit.tokens import count
from opscontext import budget as token_budget
from opscontext import cursor
from opscontext.budget import _CUT, MARGIN, _units, answer_tokens, estimate, largest_fitting
from opscontext.engine.correlation.models import AlertBrief, AlertGroup, Candidate
from opscontext.errors import InputError
from opscontext.models import TimeWindow
from opscontext.queries.correlate_fit import fit_groups, fit_page
from opscontext.queries.correlate_view import FULL as FULL_DETAIL
from opscontext.queries.correlate_view import Detail, GroupView, members

T0 = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", [
    '{"fingerprints":["e02312387eec9382","ca9bfe0f760c3b46"],"alert_count":66}',
    "payment-service is the primary contributor (deployed 2.14.0 6 min before the first alert)",
    "flowchart LR\n  n0[\"checkout-service\"] --> n1[\"payments-db\"]\n  style n0 stroke:#d33",
    "Zahlungsdienst überlastet: Latenz über 2 s; 支付服务 超时; ошибка оплаты",
    "HighErrorRateOnPaymentAuthorization KafkaConsumerLagHigh _internal__name",
])
def test_the_estimate_is_never_below_o200k_on_the_kinds_of_text_answers_carry(text: str) -> None:
    assert count(text) <= estimate(text) <= 2 * count(text) + 5


def _random_json(rng: random.Random, depth: int = 0) -> object:
    """Nested lists and objects of strings and numbers drawn from what answers hold and worse:
    case changes, digit runs, non-Latin script, underscores, slashes, newlines, quotes."""
    alphabet = "abcXYZ019_-/ .:\"\n\rüé支付ш{}[],"
    kind = rng.random()
    if depth < 4 and kind < 0.3:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 6))]
    if depth < 4 and kind < 0.6:
        return {"".join(rng.choices(alphabet, k=rng.randint(1, 8))): _random_json(rng, depth + 1)
                for _ in range(rng.randint(0, 6))}
    if kind < 0.75:
        return rng.choice([rng.randint(-10**6, 10**6), round(rng.random(), 4), True, None])
    return "".join(rng.choices(alphabet, k=rng.randint(0, 40)))


def test_the_estimate_counted_in_remembered_parts_equals_the_count_of_the_whole() -> None:
    rng = random.Random(7)
    cut = 0
    for _ in range(800):
        text = json.dumps(_random_json(rng), separators=(",", ":"), ensure_ascii=rng.random() < 0.5)
        text = text * rng.randint(1, 20)  # long enough to be cut
        whole = int(_units(text) * MARGIN / 100) + 1
        assert estimate(text) == whole, text
        assert estimate(text) == whole  # again, from the remembered parts
        cut += len(text) >= 512 and _CUT.search(text) is not None
    assert cut > 200  # the parts were exercised, not only whole texts


def test_a_text_too_long_to_remember_is_counted_the_same_and_not_kept() -> None:
    item = '{"service":"payment-service","evidence":["deployed 2.14.0 6 min before"],"score":0.7423},'
    text = "[" + item * 2000 + '"' + "x" * 10_000 + '"]'  # 190 KB; its last part is 10 KB
    token_budget._kept.cache_clear()
    token_budget._chunk_units.cache_clear()
    assert estimate(text) == int(_units(text) * MARGIN / 100) + 1
    cuts = [0, *(m.start() + 1 for m in _CUT.finditer(text)), len(text)]
    parts = {text[a:b] for a, b in itertools.pairwise(cuts)}
    small = {p for p in parts if len(p) <= token_budget._PART_KEPT_UP_TO}
    assert len(small) < len(parts)  # the 10 KB part is there
    assert token_budget._chunk_units.cache_info().currsize == len(small)  # and only the small ones kept
    assert token_budget._kept.cache_info().currsize == 0  # nor the whole text


class Listing(BaseModel):
    items: list[str]


def test_largest_fitting_finds_the_longest_prefix_within_budget() -> None:
    words = [f"word{i}" for i in range(200)]
    built: list[int] = []

    def build(n: int) -> Listing:
        built.append(n)
        return Listing(items=words[:n])

    answer, n = largest_fitting(build, 200, budget=100)
    assert answer_tokens(answer) <= 100 < answer_tokens(Listing(items=words[: n + 1]))
    assert len(built) <= 10, "bisection, not a walk"
    assert largest_fitting(build, 5, budget=10_000) == (Listing(items=words[:5]), 5)
    assert largest_fitting(build, 200, budget=1, least=1)[1] == 1, "never below least, even over budget"


def test_a_cursor_round_trips_its_window_and_position_and_rejects_anything_else() -> None:
    window = TimeWindow(since=T0 + timedelta(microseconds=500), until=T0 + timedelta(hours=2, microseconds=1))
    made = cursor.encode("correlate_alerts", window, g="grp-abc", m=40, v="a|b c")
    now, limit = T0 + timedelta(hours=3), timedelta(days=31)
    got, position = cursor.decode(made, "correlate_alerts", now=now, max_window=limit)
    assert got == TimeWindow(since=T0, until=T0 + timedelta(hours=2, seconds=1)), "widened to whole seconds"
    assert position == {"g": "grp-abc", "m": "40", "v": "a|b c"}
    assert cursor.offset(position, "m") == 40 and cursor.offset(position, "o") == 0
    for bad in ("", "x" * 500, made.replace("correlate_alerts", "what_changed"), "correlate_alerts|zz|1",
                "correlate_alerts|20|10", "correlate_alerts|1|2|"):
        with pytest.raises(InputError, match="next_cursor"):
            cursor.decode(bad, "correlate_alerts", now=now, max_window=limit)
    for value in ("-3", "²", "٣", "1e3", " 4"):  # "²".isdigit() holds, int() refuses it; "٣" reads as 3
        with pytest.raises(InputError, match="damaged"):
            cursor.offset({"m": value}, "m")


def test_a_cursor_window_is_held_to_the_limits_of_since_and_until() -> None:
    """A forged cursor asked for 1970-9999: an overflow in the engine, unbounded vendor queries."""
    now, limit = T0, timedelta(days=31)
    for since, until, why in ((0, 253402300799, "outside 1970"), (-62135596800, 253402300799, "outside 1970"),
                              (int(T0.timestamp()) - 40 * 86400, int(T0.timestamp()), "longer than the limit of 31"),
                              (int(T0.timestamp()) + 5 * 86400, int(T0.timestamp()) + 6 * 86400, "in the future")):
        with pytest.raises(InputError, match=why):
            cursor.decode(f"what_changed|{since}|{until}|o0", "what_changed", now=now, max_window=limit)


def test_a_page_past_the_end_of_its_list_says_so() -> None:
    assert cursor.past_end(0, 0, "change") is None and cursor.past_end(22, 23, "change") is None
    note = cursor.past_end(999_999_999, 23, "change")
    assert note is not None and "past the end: there are 23 now" in note and "Leave `cursor` out" in note


def group(gid: str, size: int, services: int = 3) -> AlertGroup:
    fps = [f"{gid}-{i:04x}{'ab' * 6}" for i in range(size)]
    return AlertGroup(
        id=gid, primary_contributor=f"{gid}-svc", confidence=0.8, uncertain_because=None,
        candidates=[Candidate(service=f"{gid}-svc{c}", score=0.5, alerting=True,
                              evidence=[f"evidence line {e} about {gid}" for e in range(4)]) for c in range(3)],
        fingerprints=fps,
        alerts=[AlertBrief(fingerprint=f, alertname="HighErrorRate", service=f"{gid}-svc", starts_at=T0,
                           severity="critical") for f in fps[:5]],
        alert_count=size, services=[f"{gid}-s{i}" for i in range(services)],
        impacted_services=[f"{gid}-i{i}" for i in range(services)], started_at=T0, summary=f"{gid} incident",
    )


class Answer(BaseModel):
    groups: list[GroupView]


def make(views: list[GroupView], detail: Detail) -> Answer:
    return Answer(groups=views)


def test_fingerprints_stay_whole_while_a_summary_of_the_groups_fits() -> None:
    groups = [group("a", 40), group("b", 30)]
    whole = answer_tokens(fit_groups(groups, make, 100_000))
    answer = fit_groups(groups, make, whole - 1)  # just too big whole: the summary must do
    assert [len(g.fingerprints) for g in answer.groups] == [40, 30]
    assert all(g.fingerprints_omitted == 0 for g in answer.groups)
    assert len(answer.groups[0].alerts) < 5 and answer.groups[0].candidates[0].evidence_omitted > 0


def test_when_fingerprints_must_go_small_groups_stay_whole_and_big_ones_say_how_many_went() -> None:
    groups = [group("a", 300), group("b", 4)]
    answer = fit_groups(groups, make, 1_200)
    assert answer_tokens(answer) <= 1_200
    big, small = answer.groups
    assert small.fingerprints_omitted == 0 and len(small.fingerprints) == 4
    assert 0 < len(big.fingerprints) < 300 and len(big.fingerprints) + big.fingerprints_omitted == 300
    assert [c.service for c in big.candidates] == ["a-svc0", "a-svc1", "a-svc2"], "candidates are never cut"


def _ladder(groups: list[AlertGroup], budget: int) -> Answer:
    """The cutting order of ``correlate_fit`` written plainly: every step tried, every try sized
    anew. The tool now skips tries that cannot fit and sizes each once; it must choose the same."""
    from opscontext.queries.correlate_fit import FLOOR
    from opscontext.queries.correlate_view import BARE, BRIEF, FULL, SUMMARY, view

    def at(detail: Detail, k: int) -> Answer:
        return make([view(g, detail) for g in groups[:k]], detail)

    def fits(answer: Answer) -> bool:
        return answer_tokens(answer) <= budget

    n, most = len(groups), budget // 2
    if sum(len(g.fingerprints) for g in groups) <= most:
        for detail in (FULL, SUMMARY, BRIEF, BARE):
            if fits(at(detail, n)):
                return at(detail, n)
    longest = min(max((len(g.fingerprints) for g in groups), default=0), most)
    floor = min(FLOOR, longest)
    for detail in (SUMMARY, BRIEF, BARE):
        if fits(at(detail.capped(floor), n)):
            return largest_fitting(lambda cap, d=detail: at(d.capped(cap), n), longest, budget, least=floor)[0]
    _, k = largest_fitting(lambda count: at(BARE.capped(floor), count), n, budget, least=min(1, n))
    least = floor if fits(at(BARE.capped(floor), k)) else 0
    return largest_fitting(lambda cap: at(BARE.capped(cap), k), longest, budget, least=least)[0]


@pytest.mark.parametrize("sizes", [(40, 30), (300, 4), (1, 1, 1), (12, 9, 7, 5, 3, 2, 2, 1), (120,) * 6, (2,) * 20])
def test_the_fitted_answer_is_the_one_every_step_tried_in_order_would_give(sizes: tuple[int, ...]) -> None:
    groups = [group(f"g{i}", size, services=2 + i % 5) for i, size in enumerate(sizes)]
    whole = answer_tokens(make([], FULL_DETAIL))
    for budget in (whole + 40, 150, 300, 600, 900, 1_200, 2_000, 3_000, 5_000, 8_000, 20_000, 100_000):
        assert fit_groups(groups, make, budget).model_dump() == _ladder(groups, budget).model_dump(), budget


def test_a_members_page_walks_fingerprints_then_services_then_impacted() -> None:
    g = group("a", 50, services=30)
    seen: list[tuple[str, str]] = []
    start = 0
    while start < len(members(g)):
        page, size = fit_page(g, start, lambda v: Answer(groups=[v]), 600)
        assert size >= 1 and answer_tokens(page) <= 600
        view = page.groups[0]
        seen += [("fingerprints", f) for f in view.fingerprints] + [("services", s) for s in view.services]
        seen += [("impacted_services", s) for s in view.impacted_services]
        assert view.fingerprints_omitted == 50 - len(view.fingerprints)
        start += size
    assert seen == members(g)
