"""The built-in connectors run the public contract suite (opscontext.testing) the way a third-party
connector package does: one generated test class per type, with the sample in samples.py.

What the suite checks is documented in opscontext/testing/__init__.py; tests/contract/
test_suite_can_fail.py shows each of its checks failing on a connector that breaks it.
"""

from __future__ import annotations

from opscontext.registry import discover
from opscontext.testing import connector_tests
from tests.contract.samples import SAMPLES

BUILT_IN = discover(distribution="opscontext")


def test_every_built_in_type_has_a_sample() -> None:
    assert set(BUILT_IN) == set(SAMPLES), "give a new connector type a sample in tests/contract/samples.py"


for _kind, _spec in sorted(BUILT_IN.items()):
    _cls = connector_tests(_spec, SAMPLES[_kind]())
    globals()[_cls.__name__] = _cls
