"""An evaluator that answers from memory runs its queries one after another (``local``): the
readings, refusals and failures are the ones the concurrent path gives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opscontext.errors import SourceDataError, SourceUnavailableError
from opscontext.models import RatioSli, SliRequest
from opscontext.sli_eval import evaluate

pytestmark = pytest.mark.anyio
AT = datetime(2026, 3, 10, 14, tzinfo=UTC)


def req(slo: str, numerator: str, total: str) -> SliRequest:
    return SliRequest(slo=slo, evaluator="rec", sli=RatioSli(kind="bad", numerator=numerator, total=total),
                      windows=(300, 3600))


REQUESTS = [req("fine", "bad_a", "all_a"), req("refused", "weird", "all_a"), req("empty", "none", "all_a")]


async def answer(query: str, at: datetime) -> float | None:
    if "weird" in query:
        raise SourceDataError("cannot evaluate that shape", instance="rec")
    if "none" in query:
        return None
    return 3.0 if "bad" in query else 60.0


async def test_local_and_concurrent_evaluation_give_the_same_readings() -> None:
    together = await evaluate(REQUESTS, AT, instance="rec", value_of=answer)
    local = await evaluate(REQUESTS, AT, instance="rec", value_of=answer, local=True)
    assert local == together
    by = {(r.slo, r.window_seconds): r for r in local}
    assert by[("fine", 300)].error_ratio == pytest.approx(0.05)
    assert by[("refused", 3600)].error_ratio is None and "cannot evaluate" in (by[("refused", 3600)].error or "")
    assert len(local) == 6


async def test_a_source_that_cannot_be_asked_fails_the_local_evaluation_too() -> None:
    async def down(query: str, at: datetime) -> float | None:
        raise SourceUnavailableError("connection refused", instance="rec")

    for local in (False, True):
        with pytest.raises(SourceUnavailableError):
            await evaluate(REQUESTS, AT, instance="rec", value_of=down, local=local)
