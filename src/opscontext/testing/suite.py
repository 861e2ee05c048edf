"""The generated test class: every contract check, for one connector type and its sample."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from opscontext.capabilities import CAPABILITIES
from opscontext.capability import Ask, Capability
from opscontext.config import ConnectorConfig, FileConnectorConfig, HttpConnectorConfig
from opscontext.errors import (
    SourceAuthError,
    SourceDataError,
    SourceError,
    SourceUnavailableError,
)
from opscontext.models import TimeWindow
from opscontext.registry import ConnectorSpec, Registry
from opscontext.testing import checks
from opscontext.testing.transports import refuse, respond

SENTINEL = "s3cr3t-sentinel-value-0123456789"
# What a source does on the wire, and the SourceError the connector must turn it into.
FAILURES: dict[str, tuple[Callable[[], httpx.AsyncBaseTransport], type[SourceError], str]] = {
    "401": (lambda: respond(401, b'{"error": "unauthorized"}'), SourceAuthError, "a 401"),
    "503": (lambda: respond(503, b"upstream down"), SourceUnavailableError, "an endless 503"),
    "garbage": (lambda: respond(200, b"<html>\x00\xff not json"), SourceDataError, "a 200 of garbage"),
    "refused": (refuse, SourceUnavailableError, "a refused connection"),
}
GARBAGE = {
    "bad.yaml": "kind: [unclosed\n  - : :\n",
    "bad.json": '{"labels": ',
    "bad.jsonl": "not json\n{}\n",
    "bad.ics": "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:notadate\n",
    "bad.md": "---\ntitle: [\n---\n# x",
}


@dataclass(frozen=True, kw_only=True)
class ConnectorSample:
    """What the contract asks a connector, and the data it answers from.

    ``config`` is laid over the spec's ``example`` (give the URL your recordings answer for, or
    the ``path`` of your sample files). ``transport`` serves an HTTP connector's recorded vendor
    answers (see :func:`opscontext.testing.recorded`); ``base_dir`` is where a file connector's
    relative ``path`` resolves. ``now`` is the fixed instant the sample data is about: windowed
    methods are asked about ``window`` before it, health about ``services`` at it. A capability
    whose question only the sample can spell out (``sli``: SLI requests addressed to ``instance``
    that your data answers) takes its arguments from ``arguments``, by capability name. Every
    capability must find something there, once the hub's filter has run.
    """

    now: datetime
    config: Mapping[str, Any] = field(default_factory=dict)
    transport: httpx.AsyncBaseTransport | None = None
    base_dir: Path = Path(".")
    window: timedelta = timedelta(hours=2)
    services: tuple[str, ...] = ()
    arguments: Mapping[str, tuple[object, ...]] = field(default_factory=dict)
    instance: str = "under-test"

    def args_for(self, capability: Capability[..., object]) -> tuple[object, ...]:
        """The arguments ``capability`` is asked with: given in ``arguments``, else built from the
        sample question the way the capability table builds them."""
        given = self.arguments.get(capability.name)
        return given if given is not None else capability.sample(self.ask())

    def ask(self) -> Ask:
        """The sample question, in the form the capability table builds arguments from."""
        window = TimeWindow(since=self.now - self.window, until=self.now)
        return Ask(now=self.now, window=window, services=self.services)


@dataclass(frozen=True)
class Outcome:
    """What one call did: its answer or its error, and the connector that was asked."""

    answer: object
    error: BaseException | None
    connector: object


async def ask(
    spec: ConnectorSpec[ConnectorConfig],
    sample: ConnectorSample,
    capability: Capability[..., object],
    overrides: Mapping[str, Any] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Outcome:
    """Build the connector the way the server does (validation, paths, HTTP client) and ask once."""
    config = {**spec.example, **sample.config, **(overrides or {}), "type": spec.type}
    registry = Registry.build(
        {sample.instance: config},
        specs={spec.type: spec},
        base_dir=sample.base_dir,
        transport=transport or sample.transport,
        now=lambda: sample.now,
    )
    connector = registry.instances[0].connector
    try:
        answer = await capability.call(connector, sample.args_for(capability))
    except Exception as exc:  # the checks judge what was raised
        return Outcome(None, exc, connector)
    finally:
        await registry.aclose()
    return Outcome(answer, None, connector)


def connector_tests(spec: ConnectorSpec[Any], sample: ConnectorSample) -> type:
    """A pytest test class running the whole contract against ``spec`` with ``sample``.

    Assign it to a module-level name starting with ``Test`` so pytest collects it::

        TestOpsgenie = connector_tests(spec, ConnectorSample(now=..., transport=...))
    """
    names = spec.capabilities
    each = pytest.mark.parametrize("capability", names)
    namespace: dict[str, Any] = {"spec": spec, "sample": sample}

    def test_spec_is_well_formed(self: object) -> None:
        checks.check_spec(spec)

    def test_unknown_config_keys_are_refused(self: object) -> None:
        checks.check_refuses_unknown_keys(spec)

    @each
    def test_implements_the_protocol(self: object, capability: str) -> None:
        checks.check_implements(spec, CAPABILITIES[capability])

    @each
    def test_answers_the_sample(self: object, capability: str) -> None:
        cap = CAPABILITIES[capability]
        outcome = asyncio.run(ask(spec, sample, cap))
        if outcome.error is not None:
            raise AssertionError(
                f"connector {spec.type!r} method {cap.method_name} raised {type(outcome.error).__name__} "
                f"on the sample: {outcome.error}"
            ) from outcome.error
        checks.check_answer(spec.type, cap, outcome.answer, sample.args_for(cap), sample.instance)

    namespace.update(
        test_spec_is_well_formed=test_spec_is_well_formed,
        test_unknown_config_keys_are_refused=test_unknown_config_keys_are_refused,
        test_implements_the_protocol=test_implements_the_protocol,
        test_answers_the_sample=test_answers_the_sample,
    )
    if issubclass(spec.config_model, HttpConnectorConfig):
        namespace.update(_http_tests(spec, sample, each))
    if issubclass(spec.config_model, FileConnectorConfig):
        namespace.update(_file_tests(spec, sample, each))
    title = "".join(part.capitalize() for part in spec.type.replace("_", "-").split("-"))
    return type(f"Test{title}Contract", (), namespace)


def _http_tests(spec: ConnectorSpec[Any], sample: ConnectorSample, each: pytest.MarkDecorator) -> dict[str, Any]:
    failures = pytest.mark.parametrize("failure", sorted(FAILURES))

    @each
    @failures
    def test_http_failures_become_the_matching_source_error(self: object, capability: str, failure: str) -> None:
        make, expected, situation = FAILURES[failure]
        cap = CAPABILITIES[capability]
        outcome = asyncio.run(ask(spec, sample, cap, {"max_retries": 0}, make()))
        checks.check_raises(spec.type, cap, outcome.error, expected, situation, sample.instance)

    @each
    @pytest.mark.parametrize("failure", ["401", "503", "garbage"])
    def test_secrets_never_reach_errors_logs_or_the_connector_repr(
        self: object, capability: str, failure: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level("DEBUG")
        cap = CAPABILITIES[capability]
        overrides = {"max_retries": 0, **_secrets(spec)}
        outcome = asyncio.run(ask(spec, sample, cap, overrides, FAILURES[failure][0]()))
        where = f"connector {spec.type!r} method {cap.method_name} on {FAILURES[failure][2]}"
        assert SENTINEL not in str(outcome.error), f"{where}: the error message shows the secret"
        assert SENTINEL not in caplog.text, f"{where}: a log line shows the secret"
        assert SENTINEL not in repr(vars(outcome.connector)), f"{where}: the connector's attributes show the secret"

    return {
        "test_http_failures_become_the_matching_source_error": test_http_failures_become_the_matching_source_error,
        "test_secrets_never_reach_errors_logs_or_the_connector_repr": (
            test_secrets_never_reach_errors_logs_or_the_connector_repr
        ),
    }


def _file_tests(spec: ConnectorSpec[Any], sample: ConnectorSample, each: pytest.MarkDecorator) -> dict[str, Any]:
    @each
    def test_a_missing_path_is_reported_unavailable(self: object, capability: str, tmp_path: Path) -> None:
        cap = CAPABILITIES[capability]
        outcome = asyncio.run(ask(spec, sample, cap, {"path": str(tmp_path / "does-not-exist")}))
        checks.check_raises(spec.type, cap, outcome.error, SourceUnavailableError, "a missing path", sample.instance)
        assert "does-not-exist" in str(outcome.error), (
            f"connector {spec.type!r} method {cap.method_name}: the error does not name the missing path"
        )

    @each
    def test_garbage_files_raise_nothing_but_a_source_error(self: object, capability: str, tmp_path: Path) -> None:
        for name, text in GARBAGE.items():
            (tmp_path / name).write_text(text)
        (tmp_path / "binary.json").write_bytes(b"\x00\xff\xfe" * 100)
        cap = CAPABILITIES[capability]
        outcome = asyncio.run(ask(spec, sample, cap, {"path": str(tmp_path)}))
        error = outcome.error
        assert error is None or isinstance(error, SourceError), (
            f"connector {spec.type!r} method {cap.method_name} raised {type(error).__name__} on garbage files; "
            "report them with a SourceError (or leave them out and say so through problems())"
        )

    return {
        "test_a_missing_path_is_reported_unavailable": test_a_missing_path_is_reported_unavailable,
        "test_garbage_files_raise_nothing_but_a_source_error": test_garbage_files_raise_nothing_but_a_source_error,
    }


def _secrets(spec: ConnectorSpec[Any]) -> dict[str, str]:
    """The sentinel wherever the example authenticates; the token when it shows none."""
    found: dict[str, str] = {name: SENTINEL for name in ("token", "password") if name in spec.example}
    if not found and "token" in spec.config_model.model_fields:
        found = {"token": SENTINEL}
    return found
