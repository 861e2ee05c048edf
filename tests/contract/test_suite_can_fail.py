"""Every check of opscontext.testing fails on a connector that breaks it, with a message that names
the type, the method and the problem. A check that cannot fail proves nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ConfigDict

from opscontext.capabilities import ALERTS, AlertSource
from opscontext.config import ConnectorConfig, FileConnectorConfig, HttpConnectorConfig
from opscontext.errors import SourceUnavailableError
from opscontext.http import JsonClient
from opscontext.models import Alert, TimeWindow
from opscontext.registry import ConnectorContext, ConnectorSpec
from opscontext.testing import ConnectorSample, connector_tests, recorded
from opscontext.testing.checks import check_implements, check_refuses_unknown_keys, check_spec

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ALERTS_JSON = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "alertmanager" / "alerts.json"


def alert(name: str = "HighErrorRate", *, source: str = "under-test", hours_ago: float = 0.5) -> Alert:
    return Alert(
        fingerprint=name, alertname=name, service="checkout", source=source, starts_at=NOW - timedelta(hours=hours_ago)
    )


class HttpConfig(HttpConnectorConfig):
    pass


class Good(AlertSource):
    """Answers one alert from /alerts through the core's JsonClient (which maps every failure)."""

    def __init__(self, ctx: ConnectorContext[HttpConfig]):
        self.name = ctx.name
        self.client = JsonClient.configured(ctx.http_client(), ctx.config, instance=ctx.name)

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        await self.client.get_json("/alerts")
        return [alert(source=self.name)]


def spec_of(factory: Any, config_model: type[ConnectorConfig] = HttpConfig, **fields: Any) -> ConnectorSpec[Any]:
    example = {"url": "https://vendor.example.com", "token": "example-token"}
    if issubclass(config_model, FileConnectorConfig):
        example = {"path": "alerts"}
    values: dict[str, Any] = {"type": "fake", "summary": "A fake.", "config_model": config_model, "example": example}
    return ConnectorSpec(factory=factory, **{**values, **fields})


SAMPLE = ConnectorSample(now=NOW, transport=recorded({"/alerts": ALERTS_JSON}))


def suite(factory: Any, sample: ConnectorSample = SAMPLE, **fields: Any) -> Any:
    return connector_tests(spec_of(factory, **fields), sample)()


def test_the_suite_passes_a_connector_that_keeps_the_contract(caplog: pytest.LogCaptureFixture) -> None:
    tests = suite(Good)
    tests.test_spec_is_well_formed()
    tests.test_unknown_config_keys_are_refused()
    tests.test_implements_the_protocol("alerts")
    tests.test_answers_the_sample("alerts")
    for failure in ("401", "503", "garbage", "refused"):
        tests.test_http_failures_become_the_matching_source_error("alerts", failure)
    tests.test_secrets_never_reach_errors_logs_or_the_connector_repr("alerts", "401", caplog)


class Strings(Good):
    async def alerts(self, window: TimeWindow) -> list[str]:  # type: ignore[override]
        return ["HighErrorRate"]


class Nothing(Good):
    async def alerts(self, window: TimeWindow) -> list[Alert]:
        return []


class LongAgo(Good):
    """Answers only an alert that ended before the window asked about: the hub drops it."""

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        old = alert(hours_ago=30)
        return [old.model_copy(update={"ends_at": NOW - timedelta(hours=29)})]


class Unstamped(Good):
    async def alerts(self, window: TimeWindow) -> list[Alert]:
        return [alert(source="someone-else")]


class MyAlert(Alert):
    pass


class Subclassed(Good):
    async def alerts(self, window: TimeWindow) -> list[Alert]:
        return [MyAlert(**alert().model_dump())]


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (Strings, r"connector 'fake' method alerts returned list\[str\], expected list\[Alert\]"),
        (Nothing, r"connector 'fake' method alerts returned no Alert the hub keeps for the sample question"),
        (LongAgo, r"returned no Alert the hub keeps"),
        (Unstamped, r"a Alert has source 'someone-else', expected the instance name 'under-test'"),
        (Subclassed, r"the answer cannot be cached \(MyAlert is not a domain model\)"),
    ],
)
def test_a_wrong_answer_fails_naming_the_problem(factory: Any, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        suite(factory).test_answers_the_sample("alerts")


class Structural:
    """Has alerts() but does not subclass AlertSource, so mypy never compares the signatures."""

    def __init__(self, ctx: ConnectorContext[HttpConfig]):
        pass

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        return []


class Stub(AlertSource):
    """Subclasses AlertSource but never implements alerts(): it would inherit the Protocol's stub."""

    def __init__(self, ctx: ConnectorContext[HttpConfig]):
        pass


class Blocking(Good):
    def alerts(self, window: TimeWindow) -> list[Alert]:  # type: ignore[override]
        return []


class TooMany(Good):
    async def alerts(self, window: TimeWindow, limit: int) -> list[Alert]:  # type: ignore[override]
        return []


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (Structural, "Structural has alerts\\(\\) but does not subclass AlertSource"),
        (Stub, "Stub does not implement alerts\\(\\) of AlertSource"),
        (Blocking, "Blocking.alerts must be `async def`"),
        (TooMany, "TooMany.alerts takes 2 arguments besides self, AlertSource says 1"),
    ],
)
def test_a_missing_or_misshapen_method_fails_naming_it(factory: Any, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_implements(spec_of(factory), ALERTS)


class Lenient(HttpConnectorConfig):
    model_config = ConfigDict(extra="ignore", frozen=True)


class NoCapability:
    def __init__(self, ctx: ConnectorContext[HttpConfig]):
        pass


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"summary": " "}, "connector 'fake': the summary is empty"),
        ({"factory": NoCapability}, "connector 'fake': implements no capability"),
        ({"example": {"url": "not a url"}}, "connector 'fake': the spec's example does not validate"),
        ({"factory": lambda ctx: Good(ctx)}, "the factory is neither a class nor annotated"),
    ],
)
def test_a_spec_that_cannot_be_listed_or_configured_fails(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_spec(spec_of(fields.pop("factory", Good), **fields))


def test_a_config_that_accepts_unknown_keys_fails() -> None:
    with pytest.raises(AssertionError, match="its config accepted an unknown key"):
        check_refuses_unknown_keys(spec_of(Good, Lenient))


class Naive(Good):
    """Reads the body itself: a 401 is answered as data, garbage escapes as a JSON error."""

    def __init__(self, ctx: ConnectorContext[HttpConfig]):
        super().__init__(ctx)
        self.http = ctx.http_client()

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        (await self.http.get("/alerts")).json()
        return [alert(source=self.name)]


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ("401", "connector 'fake' method alerts answered on a 401; expected SourceAuthError"),
        ("garbage", "method alerts raised UnicodeDecodeError on a 200 of garbage, expected SourceDataError"),
        ("refused", "raised ConnectError on a refused connection, expected SourceUnavailableError"),
    ],
)
def test_an_http_failure_that_is_not_mapped_fails(failure: str, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        suite(Naive).test_http_failures_become_the_matching_source_error("alerts", failure)


class Anonymous(Good):
    async def alerts(self, window: TimeWindow) -> list[Alert]:
        try:
            return await super().alerts(window)
        except SourceUnavailableError as exc:
            raise SourceUnavailableError("down", instance="some-other-name") from exc


def test_an_error_naming_another_instance_fails() -> None:
    with pytest.raises(AssertionError, match="names instance 'some-other-name', expected 'under-test'"):
        suite(Anonymous).test_http_failures_become_the_matching_source_error("alerts", "503")


class Chatty(Good):
    """Logs its own token."""

    def __init__(self, ctx: ConnectorContext[HttpConfig]):
        super().__init__(ctx)
        token = ctx.config.token.get_secret_value() if ctx.config.token else ""
        logging.getLogger("fake").debug("connecting with %s", token)


class Hoarder(Good):
    """Keeps its token in a plain attribute."""

    def __init__(self, ctx: ConnectorContext[HttpConfig]):
        super().__init__(ctx)
        self.token = ctx.config.token.get_secret_value() if ctx.config.token else ""


@pytest.mark.parametrize(("factory", "message"), [(Chatty, "a log line shows the secret"),
                                                  (Hoarder, "the connector's attributes show the secret")])
def test_a_leaked_secret_fails(factory: Any, message: str, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(AssertionError, match=message):
        suite(factory).test_secrets_never_reach_errors_logs_or_the_connector_repr("alerts", "401", caplog)


class FileConfig(FileConnectorConfig):
    pass


class Careless(AlertSource):
    """A file connector that opens its path without asking whether it exists or parses."""

    def __init__(self, ctx: ConnectorContext[FileConfig]):
        self.path = ctx.resolve_path(ctx.config.path)

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        for path in sorted(self.path.iterdir()):
            httpx.Response(200, content=path.read_bytes()).json()
        return []


def test_file_connectors_that_let_os_and_parse_errors_escape_fail(tmp_path: Path) -> None:
    tests = suite(Careless, ConnectorSample(now=NOW, base_dir=tmp_path), config_model=FileConfig)
    with pytest.raises(AssertionError, match="raised FileNotFoundError on a missing path, expected Source"):
        tests.test_a_missing_path_is_reported_unavailable("alerts", tmp_path)
    with pytest.raises(AssertionError, match=r"raised \w+ on garbage files; report them with a SourceError"):
        tests.test_garbage_files_raise_nothing_but_a_source_error("alerts", tmp_path)
