"""The modelled health source reads what a fault did (and blips), at the instants a server compares."""

from __future__ import annotations

from datetime import timedelta

from evalkit import health as eh
from evalkit.families import fault_injection as fi
from evalkit.families import metric_rules as mr
from evalkit.topologies import otel_demo
from evalkit.world import Graph, World
from opscontext.engine.correlation.health import Health


def _worlds() -> list[World]:
    top = otel_demo()
    return [fi.generate(top, s, fi.CELLS["datastore-kill"], "datastore-kill") for s in range(30)] + [
        mr.generate(top, s, mr.CELLS["silent-30"], "silent-30") for s in range(30)]


def test_worlds_record_every_service_a_fault_reached_with_the_root_first() -> None:
    for w in _worlds():
        for inc in w.incidents:
            assert inc.root in w.degraded
            at, _ = w.degraded[inc.root]
            # the root is reached first; anything alerting for the incident was reached no later than it alerted
            assert at <= min(a.starts_at for a in w.alerts if a.fingerprint in inc.fingerprints)


def test_verdicts_follow_the_two_readings() -> None:
    degraded_seen = 0
    for w in _worlds():
        at = eh.verdicts(w)
        g = Graph.of(w)  # type: ignore[arg-type]
        for inc in w.incidents:
            start = w.degraded[inc.root][0]
            got = at(start)
            for name, v in got.items():
                assert not g.is_loadgen(name)
                hit = w.degraded.get(name)
                if v.state is Health.SERVING:
                    # never "serving" for a service the fault had reached by the second reading
                    assert hit is None or hit[0] > min(w.now, start + eh.DURING).replace(second=0, microsecond=0)
            if inc.root in got:
                assert got[inc.root].state is Health.DEGRADED
                degraded_seen += 1
            # a fault that reached a service before both readings shows no change between them
            later = at(start + eh.BEFORE + timedelta(minutes=1))
            assert inc.root not in later or later[inc.root].state is not Health.DEGRADED
    assert 10 < degraded_seen < 60  # the model sees roots, not every one of them


def test_the_same_world_gives_the_same_verdicts() -> None:
    w = _worlds()[0]
    start = w.incidents[0].onset
    assert eh.verdicts(w)(start) == eh.verdicts(w)(start)


def test_readings_say_no_data_rather_than_zero_and_move_once_reached() -> None:
    failing_before = failing_after = 0
    for w in _worlds():
        read = eh.readings(w)
        g = Graph.of(w)  # type: ignore[arg-type]
        assert all(read(n, w.now) is None for n in g.names if g.is_loadgen(n))
        for inc in w.incidents:
            at, _ = w.degraded[inc.root]
            for when, after in ((at - timedelta(minutes=2), False), (at + timedelta(minutes=2), True)):
                r = read(inc.root, when)
                failing = r is not None and r.error_rate is not None and r.error_rate >= 0.05
                failing_before += failing and not after
                failing_after += failing and after
    assert failing_after > 3 * max(failing_before, 1)
