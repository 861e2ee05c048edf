"""Start `opscontext serve --transport http` as a user would, and a fake OAuth authorization server."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}},
}
MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """The test process's environment without any OPSCONTEXT_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("OPSCONTEXT_")}
    return {**env, "OPSCONTEXT_CACHE__BACKEND": "memory", **extra}


def serve_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "opscontext", "serve", "--demo", "--transport", "http",
            "--host", host, "--port", str(port)]


@dataclass
class Running:
    port: int
    proc: subprocess.Popen[bytes]
    stderr: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def log(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")


def _wait_listening(port: int, proc: subprocess.Popen[bytes], stderr: Path, budget: float = 30.0) -> None:
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early ({proc.returncode}): {stderr.read_text()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("server did not start listening in time")


@contextmanager
def running_server(tmp: Path, env: dict[str, str], port: int | None = None) -> Iterator[Running]:
    """`opscontext serve --demo --transport http` on 127.0.0.1 (a free port by default), stopped by its pid."""
    port = port or free_port()
    stderr = tmp / f"server-{port}.log"
    with stderr.open("wb") as err:
        proc = subprocess.Popen(serve_command("127.0.0.1", port), stdout=subprocess.DEVNULL, stderr=err,
                                env=clean_env(env))
    try:
        _wait_listening(port, proc, stderr)
        yield Running(port, proc, stderr)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class FakeAuthServer:
    """An RFC 7662 introspection endpoint knowing a few tokens, requiring the opscontext client's secret."""

    port: int
    tokens: dict[str, dict[str, Any]]
    client_id: str = "opscontext"
    client_secret: str = "introspection-secret"

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def introspection_endpoint(self) -> str:
        return f"{self.issuer}/introspect"


@contextmanager
def fake_auth_server(tokens: dict[str, dict[str, Any]]) -> Iterator[FakeAuthServer]:
    fake = FakeAuthServer(0, tokens)
    expected = "Basic " + base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            form = parse_qs(self.rfile.read(length).decode())
            if self.path != "/introspect" or self.headers.get("authorization") != expected:
                self.send_response(401)
                self.end_headers()
                return
            token = form.get("token", [""])[0]
            body = json.dumps(fake.tokens.get(token, {"active": False})).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.port = int(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
