"""A world's modelled health source served over Prometheus' HTTP API, on loopback.

``evalkit.product --health`` points a real ``prometheus`` connector at it, so the readings reach
``correlate_alerts`` the way a user's would: instant queries with ``time=``, one per metric for
all asked services, answered as Prometheus answers (``status``/``data.resultType``/``result``).
It understands only the three queries :data:`TOML` configures (one metric name each, the
services in a ``job=~"..."`` matcher), ``/api/v1/alerts`` (none: the alerts come from files)
and ``/api/v1/status/buildinfo`` (the connector's check). Anything else is a 400 in
Prometheus' error format.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from evalkit.health import Reading

METRICS = {"evalkit_error_ratio": "error_rate", "evalkit_p99_seconds": "latency_p99_seconds",
           "evalkit_requests": "request_rate"}
TOML = """
[connectors.health]
type = "prometheus"
url = "http://127.0.0.1:{port}"
topology = false
health_label = "job"
health_error_rate_query = 'evalkit_error_ratio{{job=~"{{services_regex}}"}}'
health_latency_p99_query = 'evalkit_p99_seconds{{job=~"{{services_regex}}"}}'
health_request_rate_query = 'evalkit_requests{{job=~"{{services_regex}}"}}'
"""
_QUERY = re.compile(r'^(\w+)\{job=~"((?:[^"\\]|\\.)*)"\}$')


def _names(matcher: str) -> list[str]:
    """The services of an anchored alternation, as the connector escaped them: the string
    literal's escaping first, then the regex's."""
    text = re.sub(r"\\(.)", r"\1", matcher)  # PromQL string escapes
    return [re.sub(r"\\(.)", r"\1", part) for part in re.split(r"(?<!\\)\|", text)]


class _Server(ThreadingHTTPServer):
    # A page's health calls open a dozen connections at once; http.server's backlog of 5 made
    # the rest retry their SYN a second later (a real Prometheus listens with Go's default).
    request_queue_size = 128
    daemon_threads = True


class PrometheusModel:
    """Serve ``read`` (evalkit.health.readings of one world) until :meth:`close`."""

    def __init__(self, read: Reading) -> None:
        model = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Prometheus serves

            def do_GET(self) -> None:
                url = urlparse(self.path)
                code, body = model.answer(url.path, {k: v[-1] for k, v in parse_qs(url.query).items()})
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.read = read
        self.queries = 0
        self._server = _Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path == "/api/v1/status/buildinfo":
            return 200, {"status": "success", "data": {"version": "2.53.0+evalkit", "revision": "model"}}
        if path == "/api/v1/alerts":
            return 200, {"status": "success", "data": {"alerts": []}}
        if path != "/api/v1/query":
            return 404, {"status": "error", "errorType": "not_found", "error": path}
        m = _QUERY.match(params.get("query", "").strip())
        if m is None or m.group(1) not in METRICS or "time" not in params:
            return 400, {"status": "error", "errorType": "bad_data", "error": "not a query this model answers"}
        self.queries += 1
        at = datetime.fromtimestamp(float(params["time"]), UTC)
        field = METRICS[m.group(1)]
        result = []
        for name in _names(m.group(2)):
            h = self.read(name, at)
            value = getattr(h, field) if h is not None else None
            if value is not None:
                result.append({"metric": {"job": name}, "value": [at.timestamp(), repr(float(value))]})
        return 200, {"status": "success", "data": {"resultType": "vector", "result": result}}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
