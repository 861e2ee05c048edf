"""The `opscontext` command: run the MCP server, inspect connectors, check sources, and call any
tool from a terminal with readable output (or `--json`).

Exit codes: 0 ok; 1 a tool or check failed; 2 bad configuration or arguments.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console

from opscontext import __version__, logsafe
from opscontext.app import App, open_app
from opscontext.cli_progress import Spinner, report
from opscontext.errors import ConfigError, InputError, OpsContextError
from opscontext.render import safe
from opscontext.sanitize import strip_unsafe
from opscontext.settings import Settings, load

T = TypeVar("T")
app = typer.Typer(
    name="opscontext",
    help="Connected incident context for AI assistants: an MCP server plus the same tools in your terminal.\n\n"
    "With no config file anywhere, every command uses the built-in demo world (a live incident).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
# No emoji codes: `:fire:` in a change summary is printed as written.
out = Console(emoji=False)
err = Console(stderr=True, soft_wrap=True, emoji=False)  # errors stay one copy-pastable line

class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="TOML config file. Default: $OPSCONTEXT_CONFIG, ./opscontext.toml, "
        "~/.config/opscontext/config.toml, else the demo world.",
        show_default=False,
    ),
]
DemoOpt = Annotated[bool, typer.Option("--demo", help="Use the built-in demo world, ignoring any config file.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the answer as JSON (the tool's structured output).")]
CursorOpt = Annotated[str | None, typer.Option(help="The next_cursor an earlier answer printed: its next page.")]


def _settings(config: Path | None, demo: bool = False) -> Settings:
    try:
        return load(config, demo=demo)
    except ConfigError as exc:
        _fail("Configuration error", exc, 2)


def _budget(app: App) -> int:
    """The answers a terminal shows are the answers a model gets: the same token budget."""
    return app.settings.limits.answer_tokens


def _fail(what: str, exc: BaseException | str, code: int) -> NoReturn:
    # User text and paths can contain [brackets]: print them as text, never as markup.
    err.print(f"[red]{what}:[/red] {safe(exc)}")
    raise typer.Exit(code)


def _logging(level: str) -> None:
    # stdout carries the MCP protocol over stdio: logs go to stderr, always.
    logsafe.install()
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )


def _run(settings: Settings, call: Callable[[App], Awaitable[T]], label: str = "asking the sources") -> T:
    async def main() -> T:
        async with open_app(settings) as application:
            return await Spinner(err, label).run(call(application))  # a status line after 1 s

    try:
        return asyncio.run(main())
    except ConfigError as exc:
        _fail("Configuration error", exc, 2)
    except OpsContextError as exc:
        _fail("Error", exc, 1)
    except Exception as exc:  # never a traceback at a person; the details go to the debug log
        logging.getLogger("opscontext").debug("command failed", exc_info=True)
        _fail("Internal error", f"{type(exc).__name__}; rerun with OPSCONTEXT_LOG_LEVEL=DEBUG for details", 1)


def _answer(
    config: Path | None,
    demo: bool,
    as_json: bool,
    call: Callable[[App], Awaitable[BaseModel]],
    render: Callable[[Any, Console], None],
) -> None:
    """Run one tool query against the chosen world and print it readable or as JSON."""
    settings = _settings(config, demo)
    _logging("WARNING")
    answer = _run(settings, call)
    if as_json:
        out.print_json(strip_unsafe(answer.model_dump_json()))  # JSON escapes C0, not C1 or bidi
    else:
        render(answer, out)


SERVE_HELP = """Run the MCP server (stdio by default).

With --transport http the endpoint is http://HOST:PORT/mcp. On loopback (the default 127.0.0.1) no
token is needed. Any other bind address needs authentication, or the server refuses to start:
set OPSCONTEXT_HTTP__TOKEN to a long random secret (clients send `Authorization: Bearer <token>`),
or configure OAuth 2.1 token introspection (the http.oauth settings). Host and Origin headers are checked
against the bind address (add names under http.allowed_hosts / http.allowed_origins); request
bodies are capped and each client is rate limited. See the README's security section."""


@app.command(help=SERVE_HELP)
def serve(
    config: ConfigOpt = None,
    demo: DemoOpt = False,
    transport: Annotated[str, typer.Option(help="stdio (for desktop clients) or http (streamable HTTP).")] = "stdio",
    host: Annotated[
        str,
        typer.Option(help="HTTP bind address. Anything but loopback requires OPSCONTEXT_HTTP__TOKEN or http.oauth."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="HTTP port.")] = 8000,
    tools: Annotated[
        str,
        typer.Option(
            envvar="OPSCONTEXT_TOOLS",
            help="Tools to list: core (the incident flow: who_owns, what_changed, blast_radius, get_runbook, "
            "correlate_alerts, incident_context), all, or a comma-separated list of tool names.",
        ),
    ] = "all",
    log_level: Annotated[
        LogLevel | None, typer.Option(case_sensitive=False, help="Log level (to stderr).")
    ] = None,
) -> None:
    """Run the MCP server (help text: SERVE_HELP)."""
    from opscontext.server import build_http_app, build_server, serve_http

    settings = _settings(config, demo)
    _logging(log_level.value if log_level else settings.log_level)
    if transport not in ("stdio", "http"):
        _fail("Usage error", "--transport must be stdio or http", 2)
    try:
        from opscontext.registry import discover, validate_config

        specs = discover()
        for name, raw in settings.connectors.items():  # fail fast, naming instance and field
            validate_config(name, raw, specs)
        # Refuses, before anything binds, an HTTP server reachable off loopback without authentication.
        http = build_http_app(settings, host=host, port=port, tools=tools) if transport == "http" else None
        stdio = build_server(settings, tools=tools) if http is None else None
    except ConfigError as exc:
        _fail("Configuration error", exc, 2)
    if http is not None:
        _port_free(host, port)
    where = settings.config_file or "demo world"
    logging.getLogger("opscontext").info("opscontext %s serving %s over %s", __version__, where, transport)
    if stdio is not None:
        stdio.run()
    elif http is not None:
        serve_http(*http, host=host, port=port)


def _port_free(host: str, port: int) -> None:
    """Fail with one line a person can act on when ``host:port`` cannot be listened on (uvicorn
    would log an errno after starting up and exit 3)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            why = "is in use (another opscontext, or another server)" if exc.errno == errno.EADDRINUSE else \
                f"cannot be listened on ({exc.strerror})"
            _fail("Cannot serve", f"{host}:{port} {why}; pass --port with a free port", 1)


@app.command()
def connectors(as_json: JsonOpt = False) -> None:
    """List installed connector types, their capabilities and config fields."""
    from opscontext.registry import discover
    from opscontext.render import render_connectors

    specs = discover()
    if as_json:
        data = [
            {
                "type": s.type,
                "summary": s.summary,
                "capabilities": s.capabilities,
                "config": s.config_model.model_json_schema(),
                "example": s.example,
            }
            for s in specs.values()
        ]
        out.print_json(json.dumps(data, default=str))
    else:
        render_connectors(specs, out)


@app.command()
def doctor(config: ConfigOpt = None, demo: DemoOpt = False, as_json: JsonOpt = False) -> None:
    """Check every configured source with one cheap call and say what is wrong."""
    from opscontext.doctor import run_checks
    from opscontext.render import render_checks

    settings = _settings(config, demo)
    _logging("WARNING")
    results = _run(settings, run_checks)
    if as_json:
        out.print_json(strip_unsafe(json.dumps([r.model_dump(mode="json") for r in results])))
    else:
        render_checks(settings, results, out)
    if not results or any(not r.ok for r in results):
        raise typer.Exit(1)


@app.command("who-owns")
def who_owns_cmd(service: str, config: ConfigOpt = None, demo: DemoOpt = False, as_json: JsonOpt = False) -> None:
    """Owner, on-call now and escalation thresholds for a service."""
    from opscontext.queries.who_owns import who_owns
    from opscontext.render import render_who_owns

    _answer(config, demo, as_json, lambda a: who_owns(a, service, budget=_budget(a)), render_who_owns)


@app.command("what-changed")
def what_changed_cmd(
    service: Annotated[str | None, typer.Argument(help="Service (optional).")] = None,
    since: Annotated[str | None, typer.Option(help="ISO time or duration ago (e.g. 6h). Default 24h.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO time or duration ago. Default now.")] = None,
    no_dependencies: Annotated[bool, typer.Option("--no-dependencies", help="Only the service itself.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, max=500, help="Changes to list (default: what fits).")] = None,
    cursor: CursorOpt = None,
    config: ConfigOpt = None,
    demo: DemoOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Recent changes, newest first."""
    from opscontext.queries.what_changed import what_changed
    from opscontext.render import render_what_changed

    call = lambda a: what_changed(  # noqa: E731
        a, service, since, until, not no_dependencies, limit=limit, cursor=cursor, budget=_budget(a)
    )
    _answer(config, demo, as_json, call, render_what_changed)


@app.command("blast-radius")
def blast_radius_cmd(
    service: str,
    max_depth: Annotated[int | None, typer.Option(help="Hops to follow (1-20).")] = None,
    only_user_facing: Annotated[bool, typer.Option(help="Only user-facing services.")] = False,
    tier: Annotated[str | None, typer.Option(help="Only this tier, e.g. tier-1.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, max=200, help="Services per list (default: what fits).")] = None,
    diagram_file: Annotated[
        Path | None,
        typer.Option(help="Write the Mermaid diagram to this file instead of printing it.", dir_okay=False),
    ] = None,
    config: ConfigOpt = None,
    demo: DemoOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """What is impacted if SERVICE fails, and what it depends on (with a Mermaid diagram)."""
    from opscontext.queries.blast import blast
    from opscontext.render import render_blast

    def render(answer: Any, console: Console) -> None:
        if diagram_file is not None:
            _write(diagram_file, answer.diagram + "\n")
        render_blast(answer, console, str(diagram_file) if diagram_file else None)

    call = lambda a: blast(  # noqa: E731
        a, service, max_depth=max_depth, only_user_facing=only_user_facing, tier=tier, limit=limit, budget=_budget(a)
    )
    _answer(config, demo, as_json, call, render)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail("Cannot write the diagram", f"{path}: {exc.strerror}", 1)


@app.command("get-runbook")
def get_runbook_cmd(
    service: Annotated[str | None, typer.Option(help="Service name.")] = None,
    alert: Annotated[str | None, typer.Option(help="Alert name.")] = None,
    query: Annotated[str | None, typer.Option(help="Free words.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, max=20, help="Runbooks to list (default: up to 5).")] = None,
    config: ConfigOpt = None,
    demo: DemoOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Runbooks that apply, with the relevant section."""
    from opscontext.queries.get_runbook import get_runbook
    from opscontext.render import render_runbooks

    call = lambda a: get_runbook(a, service, alert, query, limit=limit, budget=_budget(a))  # noqa: E731
    _answer(config, demo, as_json, call, render_runbooks)


@app.command("correlate-alerts")
def correlate_cmd(
    since: Annotated[str | None, typer.Option(help="ISO time or duration ago. Default 2h.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO time or duration ago. Default now.")] = None,
    service: Annotated[str | None, typer.Option(help="Only groups involving this service.")] = None,
    group_id: Annotated[str | None, typer.Option(help="One group's members, page by page.")] = None,
    cursor: CursorOpt = None,
    config: ConfigOpt = None,
    demo: DemoOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Group active alerts into incidents with a primary contributor each."""
    from opscontext.queries.correlate import correlate_alerts
    from opscontext.render import render_correlation

    call = lambda a: _moved_ids(a, correlate_alerts(  # noqa: E731
        a, since, until, service, progress=report, group_id=group_id, cursor=cursor, budget=_budget(a)
    ))
    _answer(config, demo, as_json, call, render_correlation)


async def _moved_ids(application: App, answer: Awaitable[T]) -> T:
    """``answer``, with a word on why a group id from an earlier command is not found in a world
    recorded against a ``time_anchor`` (the demo): each command shifts it to now again, and a
    group's id derives from its first alert's time. A server shifts once, when it starts."""
    try:
        return await answer
    except InputError as exc:
        if application.settings.world.time_anchor is None or not str(exc).startswith("No group"):
            raise
        raise InputError(f"{exc} This world is a recording that every command moves to the current time, "
                         "so a group id (or window) printed by an earlier command no longer matches: take "
                         "one from this command's own answer, or ask a running server (opscontext serve), "
                         "which moves it once.") from None


@app.command("incident-context")
def incident_context_cmd(
    subject: Annotated[str, typer.Argument(help="Service, alert fingerprint, or group id (grp-...).")],
    since: Annotated[str | None, typer.Option(help="ISO time or duration ago. Default 2h.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO time or duration ago. Default now.")] = None,
    max_tokens: Annotated[
        int | None, typer.Option(min=1500, max=8000, help="Answer size limit in tokens (default 2000).")
    ] = None,
    config: ConfigOpt = None,
    demo: DemoOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The whole picture of an incident in one answer: what, since when, who, why, what next."""
    from opscontext.queries.incident_context import incident_context
    from opscontext.render_incident import render_incident

    call = lambda a: _moved_ids(a, incident_context(a, subject, since, until, max_tokens, progress=report))  # noqa: E731
    _answer(config, demo, as_json, call, render_incident)


@app.command("service-health")
def service_health_cmd(
    services: Annotated[list[str] | None, typer.Argument(help="Services (default: every service with an SLO).")] = None,
    at: Annotated[str | None, typer.Option(help="ISO time or duration ago. Default now.")] = None,
    config: ConfigOpt = None,
    demo: DemoOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """What users feel: each SLO's SLI, error budget left and burn-rate alerts."""
    from opscontext.queries.service_health import service_health
    from opscontext.render_health import render_service_health
    from opscontext.timeparse import parse_time

    async def call(a: App) -> BaseModel:
        when = parse_time(at, now=a.now(), name="at") if at else None
        return await service_health(a, services or None, when, budget=_budget(a))

    _answer(config, demo, as_json, call, render_service_health)


def _version(value: bool) -> None:
    if value:
        out.print(f"opscontext {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    pass


def main() -> None:
    app()
