"""Start, feed and stop real Prometheus, Alertmanager and Redis servers on loopback.

All run from the Debian packages that ``.ci/install-servers.sh`` installs. They listen on free
127.0.0.1 ports only, keep their state in pytest's temporary directory, and are stopped by pid
when the session ends. Without the binaries the integration tests skip, unless
``OPSCONTEXT_REQUIRE_INTEGRATION=1`` says that a skip would hide a broken CI machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

READY_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0

# The backfilled service graph: caller, callee, requests/s, failed requests/s.
TRAFFIC: tuple[tuple[str, str, float, float], ...] = (
    ("web-frontend", "checkout", 4.0, 0.0),
    ("checkout", "payments-api", 2.0, 0.2),
    ("legacy-batch", "inventory", 0.0, 0.0),  # an idle pair: counters that stopped moving
)
RULE_LABELS = {"service": "checkout", "severity": "critical", "team": "payments"}


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """Terminate by pid, then kill if it ignores SIGTERM."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)


def binary(*names: str) -> str:
    """Path of the first installed name, or skip (fail when integration is required)."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    reason = f"{' / '.join(names)} not installed; run .ci/install-servers.sh (as root)"
    if os.environ.get("OPSCONTEXT_REQUIRE_INTEGRATION") == "1":
        pytest.fail(f"OPSCONTEXT_REQUIRE_INTEGRATION=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch(name: str, argv: list[str], port: int, workdir: Path) -> Server:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
    server = Server(name=name, url=f"http://127.0.0.1:{port}", process=process, log=log)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{server.url}/-/ready", timeout=1.0).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    tail = log.read_text(errors="replace")[-2000:]
    pytest.fail(f"{name} did not become ready on {server.url}:\n{tail}", pytrace=False)


def start_alertmanager(workdir: Path) -> Server:
    exe = binary("prometheus-alertmanager", "alertmanager")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "alertmanager.yml").write_text(
        'route:\n  receiver: "null"\n  group_wait: 1s\nreceivers:\n  - name: "null"\n'
    )
    port = free_port()
    argv = [
        exe,
        "--config.file=alertmanager.yml",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",  # no gossip port: a lone, loopback-only instance
    ]
    return launch("alertmanager", argv, port, workdir)


def openmetrics_backfill(now: float) -> str:
    """Counters sampled every 15 s over the last 30 minutes, growing at TRAFFIC's rates."""
    lines = ["# TYPE traces_service_graph_request counter"]
    failed = ["# TYPE traces_service_graph_request_failed counter"]
    start = int(now) - 1800
    for step in range(121):
        ts, elapsed = start + step * 15, step * 15
        for caller, callee, rps, eps in TRAFFIC:
            labels = f'client="{caller}",server="{callee}"'
            lines.append(f"traces_service_graph_request_total{{{labels}}} {rps * elapsed} {ts}")
            failed.append(
                f"traces_service_graph_request_failed_total{{{labels}}} {eps * elapsed} {ts}"
            )
    return "\n".join([*lines, *failed, "# EOF", ""])


def start_prometheus(workdir: Path, alertmanager: Server) -> Server:
    exe, promtool = binary("prometheus"), binary("promtool")
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "data"
    (workdir / "backfill.om").write_text(openmetrics_backfill(time.time() - 1))
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "backfill.om", str(data)],
        cwd=workdir,
        check=True,
        capture_output=True,
        timeout=60,
    )
    labels = "".join(f"\n          {k}: {v}" for k, v in RULE_LABELS.items())
    (workdir / "rules.yml").write_text(
        "groups:\n  - name: opscontext-it\n    interval: 1s\n    rules:\n"
        "      - alert: CheckoutErrorBudgetBurn\n        expr: vector(1) > 0\n"
        f"        labels:{labels}\n"
        "        annotations:\n          summary: checkout is burning its error budget\n"
    )
    am_target = alertmanager.url.removeprefix("http://")
    (workdir / "prometheus.yml").write_text(
        "global:\n  evaluation_interval: 1s\nrule_files: [rules.yml]\n"
        f"alerting:\n  alertmanagers:\n    - static_configs: [{{targets: ['{am_target}']}}]\n"
    )
    port = free_port()
    argv = [
        exe,
        "--config.file=prometheus.yml",
        f"--storage.tsdb.path={data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--rules.alert.resend-delay=1s",  # resend at once if the first send raced discovery
    ]
    return launch("prometheus", argv, port, workdir)


def wait_for(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}", pytrace=False)


def start_redis(workdir: Path) -> Server:
    """A throwaway redis-server on a free loopback port: no persistence, no other interface."""
    exe = binary("redis-server")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(workdir)]
    log = workdir / "redis.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
    server = Server(name="redis", url=f"redis://127.0.0.1:{port}/0", process=process, log=log)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return server
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    pytest.fail(f"redis-server did not become ready on {server.url}:\n{log.read_text(errors='replace')[-2000:]}")
