"""The opscontext connector contract, run against this package's spec and Opsgenie's answers."""

from __future__ import annotations

from opscontext.testing import ConnectorSample, connector_tests

from opscontext_opsgenie import spec

from opsgenie_answers import NOW, opsgenie

TestOpsgenie = connector_tests(spec, ConnectorSample(now=NOW, transport=opsgenie()))
