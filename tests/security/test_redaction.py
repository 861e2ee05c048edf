"""Planted secrets never come out: not through any tool, a source's error, doctor, or a log line."""

from __future__ import annotations

import base64
import json
import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import respx
from mcp import Client

from opscontext import logsafe
from opscontext.app import open_app
from opscontext.doctor import run_checks
from opscontext.models import Alert
from opscontext.redact import MASK, redact
from opscontext.sanitize import Sanitizer
from opscontext.settings import Settings, load

from .secret_corpus import KINDS, NEGATIVES, leaked, plant

pytestmark = pytest.mark.anyio
DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
PLACES = ("change summary", "change link", "runbook excerpt", "catalog title/link", "alerts entering the hub")


@pytest.fixture
def planted(tmp_path: Path) -> Settings:
    world = tmp_path / "demo"
    shutil.copytree(DEMO, world)
    plant(world)
    return load(world / "opscontext.toml")


def text_of(result: object) -> str:
    return json.dumps(getattr(result, "structured_content", None)) + " ".join(
        getattr(c, "text", "") for c in getattr(result, "content", [])
    )


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_planted_kind_is_masked_by_the_redactor(kind: str) -> None:
    text, _ = KINDS[kind]
    out = redact(text) or ""
    assert MASK in out and not leaked(kind, out)


@pytest.mark.parametrize("text", NEGATIVES)
def test_emails_phones_times_ids_hashes_and_plain_urls_survive_untouched(text: str) -> None:
    assert redact(text) == text
    alert = Alert(fingerprint="a1", alertname="X", summary=text, annotations={"d": text}, starts_at=datetime.now(UTC))
    assert Sanitizer()(alert) is alert


async def test_a_planted_world_leaks_nothing_through_any_tool_or_the_hub(
    planted: Settings, client_for: Callable[[Settings], Client]
) -> None:
    outputs: dict[str, dict[str, str]] = {place: {} for place in PLACES}
    async with client_for(planted) as client:
        changed = text_of(
            # Every planted change, past the answer's token budget: each one must come back redacted.
            await client.call_tool("what_changed", {"service": "payment-service", "include_dependencies": False,
                                                    "limit": 500})
        )
        for i, kind in enumerate(KINDS):
            assert f"zzk{i} deploy" in changed  # planted and returned, so a zero below means something
            outputs["change summary"][kind] = outputs["change link"][kind] = changed
            book = text_of(await client.call_tool("get_runbook", {"query": f"zzk{i}"}))
            assert f"Planted zzk{i}" in book
            outputs["runbook excerpt"][kind] = book
            owner = await client.call_tool("who_owns", {"service": f"planted-{i}"})
            assert not owner.is_error, text_of(owner)
            outputs["catalog title/link"][kind] = text_of(owner)
        correlated = text_of(await client.call_tool("correlate_alerts", {}))
    async with open_app(planted) as app:
        now = app.now()
        from opscontext.models import TimeWindow

        window = TimeWindow(since=now.replace(year=now.year - 1), until=now)
        entered = [
            await app.hub.catalog(),
            await app.hub.runbooks(),
            await app.hub.changes(window),
            await app.hub.alerts(window),
        ]
        raw = json.dumps(
            [json.loads(json.dumps(g.items(), default=lambda m: m.model_dump(mode="json"))) for g in entered]
        )
    for kind in KINDS:
        outputs["alerts entering the hub"][kind] = raw + correlated
    leaks = [(place, kind) for place, texts in outputs.items() for kind, text in texts.items() if leaked(kind, text)]
    assert sum(len(t) for t in outputs.values()) == len(PLACES) * len(KINDS) >= 5 * 22
    assert leaks == []


@pytest.fixture
def echoing_source(tmp_path: Path) -> Iterator[tuple[Settings, respx.MockRouter]]:
    """An Alertmanager behind credentials in its URL that echoes them in every error body."""
    basic = base64.b64encode(b"svc:HttpUs3rPass").decode()
    (tmp_path / "opscontext.toml").write_text(
        '[world]\nname = "echo"\n[connectors.am]\ntype = "alertmanager-api"\n'
        'url = "https://svc:HttpUs3rPass@am.example"\nmax_retries = 0\n[cache]\nbackend = "memory"\n'
    )
    body = f"denied: Authorization: Basic {basic} token=EchoedT0kenValue42 password=HttpUs3rPass"
    with respx.mock(base_url="https://am.example", assert_all_called=False) as router:
        router.route().mock(return_value=httpx.Response(400, text=body))
        yield load(tmp_path / "opscontext.toml"), router


async def test_an_upstream_echoing_credentials_in_its_error_body_leaks_them_nowhere(
    echoing_source: tuple[Settings, respx.MockRouter], client_for: Callable[[Settings], Client]
) -> None:
    settings, router = echoing_source
    captured = _Capture()
    logging.getLogger().addHandler(captured)
    try:
        async with client_for(settings) as client:
            answer = text_of(await client.call_tool("correlate_alerts", {}))
        async with open_app(settings) as app:
            checks = json.dumps([r.model_dump() for r in await run_checks(app)])
    finally:
        logging.getLogger().removeHandler(captured)
    assert router.calls, "the source was asked"
    assert "HTTP 400 from https://am.example/api/v2/alerts" in answer  # status, which URL, what to check
    secrets = ("HttpUs3rPass", "EchoedT0kenValue42", base64.b64encode(b"svc:HttpUs3rPass").decode())
    for text in (answer, checks, "\n".join(captured.lines)):
        assert not any(s in text for s in secrets)
    assert "denied" not in answer and "denied" not in checks  # the body is never quoted


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def _logs(level: int) -> Iterator[_Capture]:
    """Every record at ``level`` or above, as the root logger's handlers would get it."""
    logsafe.install()
    captured = _Capture()
    root = logging.getLogger()
    root.addHandler(captured)
    old = root.level
    root.setLevel(level)
    try:
        yield captured
    finally:
        root.removeHandler(captured)
        root.setLevel(old)


def test_log_records_are_masked_whoever_logs_them_and_httpx_is_quiet() -> None:
    with _logs(logging.DEBUG) as captured:
        for kind, (text, _) in KINDS.items():
            logging.getLogger("opscontext.test").info("source said %s (%s)", text, kind)
        logging.getLogger("some.library").warning("GET https://u:LogUs3rPass@h.example/x?token=LogT0ken1")
        try:
            raise RuntimeError("connect failed for postgres://a:TraceS3cret@db/x")
        except RuntimeError:
            logging.getLogger("opscontext.test").exception("boom")
        logging.getLogger("httpx").info("HTTP Request: GET https://u:p@h")
    text = "\n".join(captured.lines)
    assert [k for k in KINDS if leaked(k, text)] == []
    assert "LogUs3rPass" not in text and "LogT0ken1" not in text and "TraceS3cret" not in text
    assert "HTTP Request" not in text


def test_the_audit_line_keeps_a_budget_and_masks_a_credential_argument() -> None:
    # The line as the audit middleware writes it: every value quoted by capped_arguments.
    from opscontext.audit import audit_log, capped_arguments

    logsafe.install()
    captured = _Capture()
    audit_log.addHandler(captured)
    old = audit_log.level
    audit_log.setLevel(logging.INFO)
    try:
        args = capped_arguments({"subject": "payment-service", "max_tokens": 1500, "api_token": "Z9y8X7w6V5u4"})
        audit_log.info("tool=%s args=%s", "incident_context", json.dumps(args))
    finally:
        audit_log.removeHandler(captured)
        audit_log.setLevel(old)
    line = "\n".join(captured.lines)
    assert '"max_tokens": "1500"' in line
    assert "Z9y8X7w6V5u4" not in line and MASK in line


def test_the_serve_line_says_how_callers_authenticate_unmasked(monkeypatch: pytest.MonkeyPatch) -> None:
    """It read "(authentication: [REDACTED], loopback only)": the masking took "none" for a
    credential, hiding the one thing the line is for."""
    import uvicorn

    from opscontext.server import serve_http

    class NoServer:
        def __init__(self, config: object) -> None:
            pass

        async def serve(self) -> None:
            return None

    monkeypatch.setattr(uvicorn, "Server", NoServer)
    with _logs(logging.INFO) as captured:
        serve_http(None, None, host="127.0.0.1", port=8765)  # type: ignore[arg-type]
    line = next(t for t in captured.lines if "MCP endpoint" in t)
    assert "[REDACTED]" not in line and line.endswith("/mcp; no authentication (loopback only)")
