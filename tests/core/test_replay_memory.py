"""Replay and the hub remember a bounded amount however many calls they serve."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

import pytest

from opscontext.cache import MemoryCache
from opscontext.config import ConnectorConfig
from opscontext.hub import MAX_REMEMBERED, Hub
from opscontext.memo import IdentityMemo, LruDict
from opscontext.models import Alert, OnCallShift, Runbook, TimeWindow
from opscontext.registry import ConnectorContext, ConnectorSpec, Registry
from opscontext.replay import Replayed, replay, replayed
from opscontext.sanitize import Sanitizer
from opscontext.settings import Settings

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CALLS = 10_000


class Recording:
    """Alerts held once (like a file source) and on-call shifts made fresh on every call (like
    an iCalendar expansion or any HTTP source)."""

    def __init__(self, ctx: ConnectorContext):
        start = NOW - timedelta(days=30)
        self.kept = [Alert(fingerprint=f"a{i}", alertname="X", starts_at=start) for i in range(20)]

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        return self.kept

    async def on_call(self, at: datetime) -> list[OnCallShift]:
        return [
            OnCallShift(person=f"p{i}", schedule="s", start=at - timedelta(hours=1), end=at + timedelta(hours=1))
            for i in range(5)
        ]


def replayed_hub(cacheable: bool) -> Hub:
    spec = ConnectorSpec(
        type="rec", summary="test", config_model=ConnectorConfig, factory=Recording, cacheable=cacheable
    )
    registry = replay(Registry.build({"rec": {"type": "rec"}}, specs={"rec": spec}), timedelta(days=30))
    return Hub(registry, Settings(), MemoryCache(), clock=lambda: NOW)


async def test_ten_thousand_replayed_calls_keep_every_memo_the_size_of_one_answer() -> None:
    hub = replayed_hub(cacheable=False)
    wrapper = hub.registry.instances[0].connector
    assert isinstance(wrapper, Replayed)
    first = None
    for i in range(CALLS):
        at = NOW + timedelta(seconds=i)
        got = await hub.alerts(TimeWindow(since=at - timedelta(days=60), until=at))
        first = first or got.items()
        assert got.items()[0] is first[0]  # a held item is shifted once: the same object every call
        await hub.on_call(at)
    gc.collect()
    assert len(wrapper.items) <= 20 + 5
    assert hub.memo_sizes() == {"memory": 0, "failures": 0, "inflight": 0}


async def test_the_hubs_memory_of_windowed_answers_is_bounded() -> None:
    hub = replayed_hub(cacheable=True)
    for i in range(CALLS):
        at = NOW + timedelta(minutes=i)  # a new cache bucket every call
        await hub.on_call(at)
    assert hub.memo_sizes()["memory"] <= MAX_REMEMBERED


class Runbooks:
    """A file source handing over its parse in a fresh list on every call."""

    def __init__(self) -> None:
        self.parsed = [Runbook(title=f"rb{i}", location=f"rb{i}.md", services=("svc",)) for i in range(3)]

    async def runbooks(self) -> list[Runbook]:
        return list(self.parsed)


async def test_a_fresh_list_of_the_same_items_is_shifted_once_and_a_changed_list_again() -> None:
    source = Runbooks()
    wrapper = replayed(source, timedelta(days=30))
    first = await wrapper.runbooks()
    assert await wrapper.runbooks() is first  # same items: the same shifted answer, nothing copied
    source.parsed = [*source.parsed[:2], Runbook(title="rb9", location="rb9.md")]
    changed = await wrapper.runbooks()
    assert changed is not first and [r.title for r in changed] == ["rb0", "rb1", "rb9"]
    source.parsed = source.parsed[:2]
    assert [r.title for r in await wrapper.runbooks()] == ["rb0", "rb1"]


def test_an_identity_memo_forgets_an_object_when_it_is_collected() -> None:
    memo: IdentityMemo[Alert, str] = IdentityMemo()
    kept = Alert(fingerprint="k", alertname="X", starts_at=NOW)
    for i in range(1000):
        memo.get(Alert(fingerprint=str(i), alertname="X", starts_at=NOW), lambda a: a.fingerprint)
    assert memo.get(kept, lambda a: "first") == "first"
    assert memo.get(kept, lambda a: "second") == "first"
    gc.collect()
    assert len(memo) == 1


def test_an_identity_memo_whose_value_is_the_object_itself_still_lets_it_go() -> None:
    memo: IdentityMemo[Alert, Alert] = IdentityMemo()
    for i in range(1000):
        item = Alert(fingerprint=str(i), alertname="X", starts_at=NOW)
        assert memo.get(item, lambda a: a) is item  # nothing to change: the same object back
    del item
    gc.collect()
    assert len(memo) == 0


def test_the_sanitizer_remembers_only_models_still_alive() -> None:
    clean = Sanitizer()
    for i in range(1000):
        clean([Alert(fingerprint=str(i), alertname="X", starts_at=NOW, labels={"token": f"ghp_{'a' * 36}"})])
    gc.collect()
    assert len(clean._memo) == 0


def test_an_lru_dict_keeps_the_most_recently_used_entries() -> None:
    lru: LruDict[str, int] = LruDict(2)
    lru["a"], lru["b"] = 1, 2
    assert lru.get("a") == 1
    lru["c"] = 3
    assert list(lru) == ["a", "c"]
