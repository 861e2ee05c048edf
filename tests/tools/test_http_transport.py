"""`opscontext serve --transport http`: streamable HTTP on loopback, started as a user would."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mcp import Client

pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], budget: float = 30.0) -> None:
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("server exited early; see its stderr")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("server did not start listening in time")


async def test_http_server_answers_tools_and_logs_only_to_stderr(tmp_path: Path) -> None:
    port = free_port()
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(  # noqa: ASYNC220 - a short-lived server under test, waited for below
            [sys.executable, "-m", "opscontext", "serve", "--demo", "--transport", "http", "--port", str(port)],
            stdout=out, stderr=err,
        )
    try:
        wait_listening(port, proc)
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            result = await client.call_tool("blast_radius", {"service": "orders-db"})
            assert not result.is_error
            assert (result.structured_content or {})["service"] == "orders-db"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert out_path.read_bytes() == b"", "logs belong on stderr"
    stderr = err_path.read_bytes()
    assert b"serving" in stderr and b"POST /mcp" in stderr
