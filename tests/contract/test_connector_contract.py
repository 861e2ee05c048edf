"""One contract every connector passes, generated from the entry points: a new connector is
covered the moment it is registered, without writing a test.

For every connector type x capability it declares:
- the spec is well-formed and its `example` config validates; unknown config keys are refused;
- HTTP connectors turn 401, endless 503, a 200 of garbage and a refused connection into the
  matching SourceError (never another exception, never a hang);
- file connectors answer the demo world with the right domain models stamped with their instance
  name, report a missing path as unavailable, and survive garbage files without a stray exception.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from opscontext.capabilities import CAPABILITIES
from opscontext.config import ConnectorConfig, FileConnectorConfig, HttpConnectorConfig
from opscontext.errors import SourceAuthError, SourceDataError, SourceError, SourceUnavailableError
from opscontext.models import CatalogSnapshot, RatioSli, SliRequest, TimeWindow
from opscontext.registry import ConnectorSpec, Registry, discover

pytestmark = pytest.mark.anyio

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
NOW = datetime.now(UTC)
WINDOW = TimeWindow(since=NOW - timedelta(hours=2), until=NOW)
SPECS = discover()
# Addressed to the instance under test (the contract builds it as "under-test").
SLI_REQUEST = SliRequest(
    slo="checkout-availability",
    evaluator="under-test",
    sli=RatioSli(kind="bad", numerator='http_requests_total{code=~"5.."}', total="http_requests_total"),
    windows=(300, 3600),
)
METHODS = {
    "catalog": ("catalog", None),
    "topology": ("edges", None),
    "changes": ("changes", WINDOW),
    "alerts": ("alerts", WINDOW),
    "oncall": ("on_call", NOW),
    "escalation": ("escalation_policies", None),
    "runbooks": ("runbooks", None),
    "health": ("health", (("checkout-service", "payment-service"), NOW)),  # a tuple: several arguments
    "slos": ("slos", None),
    "sli": ("sli_ratios", ((SLI_REQUEST,), NOW)),
}
PAIRS = [(s.type, cap) for s in SPECS.values() for cap in s.capabilities]
HTTP = [(t, c) for t, c in PAIRS if issubclass(SPECS[t].config_model, HttpConnectorConfig)]
FILES = [(t, c) for t, c in PAIRS if issubclass(SPECS[t].config_model, FileConnectorConfig)]


async def call(connector: Any, capability: str) -> Any:
    fn = getattr(connector, METHODS[capability][0])
    return await fn(*arguments(capability))


def arguments(capability: str) -> tuple[Any, ...]:
    arg = METHODS[capability][1]
    return () if arg is None else arg if isinstance(arg, tuple) else (arg,)


def build(
    spec: ConnectorSpec,
    overrides: dict[str, Any],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    base_dir: Path = DEMO,
) -> Any:
    config = {**spec.example, **overrides, "type": spec.type}
    registry = Registry.build({"under-test": config}, specs={spec.type: spec}, base_dir=base_dir, transport=transport)
    return registry.instances[0].connector


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_spec_is_well_formed_and_its_example_validates(kind: str) -> None:
    spec = SPECS[kind]
    assert spec.summary.strip(), "summary is shown by `opscontext connectors`"
    assert issubclass(spec.config_model, ConnectorConfig)
    assert spec.capabilities, "a connector must implement at least one capability Protocol"
    config = spec.config_model.model_validate({**spec.example, "type": kind})
    assert config.type == kind


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_unknown_config_keys_are_refused(kind: str) -> None:
    spec = SPECS[kind]
    with pytest.raises(ValidationError):
        spec.config_model.model_validate({**spec.example, "type": kind, "no_such_option": 1})


@pytest.mark.parametrize(("kind", "capability"), PAIRS)
def test_capability_methods_are_coroutines_with_the_protocol_signature(kind: str, capability: str) -> None:
    fn = getattr(SPECS[kind].factory, METHODS[capability][0])
    assert inspect.iscoroutinefunction(fn)
    assert len(inspect.signature(fn).parameters) == 1 + len(arguments(capability))
    assert CAPABILITIES[capability].implemented_by(SPECS[kind].factory)


def _respond(status: int, body: bytes = b"{}") -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: httpx.Response(status, content=body, headers={"Content-Type": "application/json"})
    )


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


FAILURES = {
    "401": (_respond(401, b'{"error": "unauthorized"}'), SourceAuthError),
    "503": (_respond(503, b"upstream down"), SourceUnavailableError),
    "garbage": (_respond(200, b"<html>\x00\xff not json"), SourceDataError),
    "refused": (httpx.MockTransport(_refuse), SourceUnavailableError),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
@pytest.mark.parametrize(("kind", "capability"), HTTP)
async def test_http_failures_become_the_matching_source_error(kind: str, capability: str, failure: str) -> None:
    transport, expected = FAILURES[failure]
    connector = build(SPECS[kind], {"max_retries": 0}, transport=transport)
    with pytest.raises(expected) as info:
        await call(connector, capability)
    assert info.value.instance == "under-test"
    assert "token" not in str(info.value).lower() or "check the token" in str(info.value).lower()


@pytest.mark.parametrize(("kind", "capability"), FILES)
async def test_file_connectors_answer_the_demo_world_with_domain_models(kind: str, capability: str) -> None:
    connector = build(SPECS[kind], {})
    value = await call(connector, capability)
    items = list(value.services) if isinstance(value, CatalogSnapshot) else list(value)
    if capability not in ("oncall", "alerts", "changes"):  # windowed ones may be empty at real "now"
        assert items, f"{kind} returned nothing for the demo world"
    for item in items:
        assert isinstance(item, BaseModel)
        assert getattr(item, "source", "under-test") == "under-test"


@pytest.mark.parametrize(("kind", "capability"), FILES)
async def test_file_connectors_report_a_missing_path_as_unavailable(kind: str, capability: str, tmp_path: Path) -> None:
    connector = build(SPECS[kind], {"path": str(tmp_path / "does-not-exist")})
    with pytest.raises(SourceUnavailableError, match="does-not-exist"):
        await call(connector, capability)


GARBAGE = {
    "bad.yaml": "kind: [unclosed\n  - : :\n",
    "bad.json": '{"labels": ',
    "bad.jsonl": "not json\n{}\n",
    "bad.ics": "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:notadate\n",
    "bad.md": "---\ntitle: [\n---\n# x",
}


@pytest.mark.parametrize(("kind", "capability"), FILES)
async def test_garbage_files_never_escape_as_anything_but_a_source_error(
    kind: str, capability: str, tmp_path: Path
) -> None:
    for name, text in GARBAGE.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "binary.json").write_bytes(b"\x00\xff\xfe" * 100)
    connector = build(SPECS[kind], {"path": str(tmp_path)})
    try:
        await call(connector, capability)
    except SourceError:
        pass  # reporting the garbage is fine; any other exception fails this test


SENTINEL = "s3cr3t-sentinel-value-0123456789"


@pytest.mark.parametrize("failure", ["401", "503", "garbage"])
@pytest.mark.parametrize(("kind", "capability"), HTTP)
async def test_secrets_never_reach_logs_or_error_messages(
    kind: str, capability: str, failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    spec = SPECS[kind]
    # Put the sentinel wherever the example authenticates; token auth when it shows none.
    secrets = {name: SENTINEL for name in ("token", "password") if name in spec.example}
    if not secrets and "token" in spec.config_model.model_fields:
        secrets = {"token": SENTINEL}
    transport, _ = FAILURES[failure]
    caplog.set_level("DEBUG")
    connector = build(spec, {"max_retries": 0, **secrets}, transport=transport)
    with pytest.raises(SourceError) as info:
        await call(connector, capability)
    assert SENTINEL not in str(info.value)
    assert SENTINEL not in caplog.text
    assert SENTINEL not in repr(connector.__dict__)
