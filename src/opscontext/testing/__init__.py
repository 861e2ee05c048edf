"""The connector contract, as tests a connector package runs against its own sample data.

Like the Singer SDK's generated tap tests: give :func:`connector_tests` your spec and a
:class:`ConnectorSample` (a config laid over the spec's example, the vendor answers you recorded
or the sample files you ship, and the fixed "now" they are about), assign the class it returns to
a ``Test...`` name, and pytest runs the whole contract::

    from datetime import UTC, datetime
    from pathlib import Path

    from opscontext.testing import ConnectorSample, connector_tests, recorded
    from opscontext_opsgenie import spec

    DATA = Path(__file__).parent / "payloads"
    TestOpsgenie = connector_tests(
        spec,
        ConnectorSample(
            now=datetime(2025, 3, 4, 10, 0, tzinfo=UTC),
            transport=recorded({"/v2/schedules": DATA / "schedules.json", ...}),
        ),
    )

What it checks, for every capability the connector's class declares (each check fails with a
message naming the type, the method and the problem):

- the spec: a summary, a config model extending ``ConnectorConfig`` that refuses unknown keys,
  an example that validates, at least one capability;
- the class subclasses each capability's Protocol (so mypy checks its signatures) and implements
  its method as a coroutine with the Protocol's parameters;
- the answer to the sample: of the declared type (``list[Alert]``, not ``list[str]``), not empty
  once the hub has filtered it to the question asked, every item stamped with the instance name,
  and unchanged by a trip through the cache replicas share;
- HTTP connectors: a 401, an endless 503, a 200 of garbage and a refused connection each become
  the matching ``SourceError`` naming the instance, and a secret in the config never reaches an
  error, a log line or the connector's attributes;
- file connectors: a missing path is ``SourceUnavailableError`` naming it, and garbage files
  raise nothing but a ``SourceError``.

The tests are synchronous (each runs its calls in ``asyncio.run``), so no async pytest plugin is
needed. The checks are also plain functions in :mod:`opscontext.testing.checks`.
"""

from opscontext.testing.suite import ConnectorSample, ask, connector_tests
from opscontext.testing.transports import by_param, json_file, recorded, refuse, respond

__all__ = [
    "ConnectorSample",
    "ask",
    "by_param",
    "connector_tests",
    "json_file",
    "recorded",
    "refuse",
    "respond",
]
