"""Probe `opscontext serve --transport http` the way an operator would start it, on several bind
addresses, and count the unauthenticated starts reachable from other machines (must be 0).

    python benchmarks/probe_transport.py [--addresses 0.0.0.0 :: 10.0.0.5 ...]

For each address the server is started twice from a clean environment: once without any
authentication configured (off loopback it must refuse: exit 2 before binding), once with
OPSCONTEXT_HTTP__TOKEN set (it must start, answer 401 without the token and 421/403 to a foreign
Host or Origin). Loopback addresses may start without a token; they are reported, not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx
from machine import machine  # benchmarks/machine.py, beside this script

from opscontext.httpserve.auth import is_loopback
from opscontext.httpserve.hosts import authority

TOKEN = "probe-token-" + "0123456789abcdef" * 2
CLIENT = {"name": "probe", "version": "1"}
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": CLIENT}}
HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


@dataclass
class Probe:
    address: str
    token: bool
    started: bool
    exit_code: int | None
    statuses: dict[str, int]


def lan_address() -> str | None:
    """This machine's outbound IPv4 address (a UDP socket sends nothing), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            address = str(s.getsockname()[0])
        except OSError:
            return None
    return None if is_loopback(address) else address


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reach(address: str) -> str:
    """Where a client on this machine connects for a server bound to ``address``."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address)


def listening(address: str, port: int, proc: subprocess.Popen[bytes], budget: float = 30) -> bool:
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection((reach(address), port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def requests(address: str, port: int) -> dict[str, int]:
    url = f"http://{authority(reach(address), port)}/mcp"
    body = json.dumps(INIT).encode()
    auth = {"authorization": f"Bearer {TOKEN}"}
    cases = {
        "no token": HEADERS,
        "token": {**HEADERS, **auth},
        "token, foreign Host": {**HEADERS, **auth, "host": "evil.example"},
        "token, foreign Origin": {**HEADERS, **auth, "origin": "http://evil.example"},
    }
    return {name: httpx.post(url, headers=h, content=body, timeout=15).status_code for name, h in cases.items()}


def probe(address: str, token: bool) -> Probe:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("OPSCONTEXT_")}
    env["OPSCONTEXT_CACHE__BACKEND"] = "memory"
    if token:
        env["OPSCONTEXT_HTTP__TOKEN"] = TOKEN
    port = free_port()
    command = [sys.executable, "-m", "opscontext", "serve", "--demo", "--transport", "http",
               "--host", address, "--port", str(port)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = listening(address, port, proc)
        statuses = requests(address, port) if started else {}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return Probe(address, token, started, None if started else proc.returncode, statuses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = ["0.0.0.0", "::", *filter(None, [lan_address()]), socket.gethostname(), "127.0.0.1", "localhost"]
    parser.add_argument("--addresses", nargs="+", default=defaults)
    args = parser.parse_args()
    print(f"# {machine()}")
    unauthenticated_off_loopback = 0
    for address in args.addresses:
        for token in (False, True):
            p = probe(address, token)
            where = "loopback" if is_loopback(address) else "off loopback"
            outcome = "started" if p.started else f"refused (exit {p.exit_code})"
            print(f"{address:>16} {where:<12} token={'yes' if token else 'no ':<3} {outcome:<18} {p.statuses}")
            if p.started and not token and not is_loopback(address):
                unauthenticated_off_loopback += 1
    print(f"unauthenticated off-loopback starts: {unauthenticated_off_loopback}")
    sys.exit(1 if unauthenticated_off_loopback else 0)


if __name__ == "__main__":
    main()
