"""A fake GitHub REST API for many repositories, built from the recorded payloads.

Each repository answers ``/deployments``, ``/releases`` and ``/deployments/{id}/statuses`` with
the recorded items (``fixtures/http/github``) renamed for it, with the headers GitHub sends: a
strong ``ETag`` per answer (and ``304`` to a matching ``If-None-Match``), and
``x-ratelimit-remaining``/``x-ratelimit-reset`` counting down from ``limit``. Tests break single
repositories or statuses, and read how many requests were in flight at once.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx

PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "github"
RESET = 1773151200  # 2026-03-10 14:00 UTC


def recorded(name: str) -> Any:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


class GitHubEstate:
    """Answers like api.github.com (or a GHES ``/api/v3`` root) for ``repos``."""

    def __init__(self, repos: list[str], *, api: str = "https://api.github.com", limit: int = 5000):
        self.repos = set(repos)
        self.prefix = httpx.URL(api).path.rstrip("/")
        self.remaining = limit
        self.broken: dict[str, int] = {}  # path suffix -> status to answer instead
        self.seen: list[httpx.Request] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.exhaust_after: int | None = None  # answer 403 "rate limit exceeded" after this many
        self.reset_at = RESET

    def deployments(self, repo: str) -> list[dict[str, Any]]:
        base = 1000 * (sorted(self.repos).index(repo) + 1)
        items = copy.deepcopy(recorded("deployments.page1"))
        for n, item in enumerate(items):
            item["id"] = base + n
            item["url"] = f"https://api.github.com/repos/{repo}/deployments/{base + n}"
        return items

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)  # let concurrent requests overlap, as on a network
            await asyncio.sleep(0)
            return self._answer(request)
        finally:
            self.in_flight -= 1

    def _answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(self.prefix)
        if self.exhaust_after is not None and len(self.seen) > self.exhaust_after:
            return httpx.Response(
                403,
                headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(self.reset_at)},
                json={"message": "API rate limit exceeded for user ID 5830611."},
            )
        for suffix, status in self.broken.items():
            if path.endswith(suffix):
                return httpx.Response(status, json={"message": "Not Found" if status == 404 else "Server Error"})
        parts = path.strip("/").split("/")  # repos/{owner}/{name}/...
        repo = "/".join(parts[1:3])
        if parts[0] != "repos" or repo not in self.repos:
            return httpx.Response(404, json={"message": "Not Found"})
        if parts[3:] == ["deployments"]:
            body: Any = self.deployments(repo)
        elif parts[3:] == ["releases"]:
            body = recorded("releases.page1")
        elif len(parts) == 6 and parts[5] == "statuses":
            body = recorded("deployment-1450003-statuses")[:1]
        else:
            return httpx.Response(404, json={"message": "Not Found"})
        return self._json(request, body)

    def _json(self, request: httpx.Request, body: Any) -> httpx.Response:
        content = json.dumps(body).encode()
        etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "X-RateLimit-Reset": str(self.reset_at), "X-RateLimit-Limit": "5000"}
        if request.headers.get("If-None-Match") == etag:
            headers["X-RateLimit-Remaining"] = str(self.remaining)  # a 304 costs no quota
            return httpx.Response(304, headers=headers)
        self.remaining = max(0, self.remaining - 1)
        headers["X-RateLimit-Remaining"] = str(self.remaining)
        return httpx.Response(200, content=content, headers={**headers, "Content-Type": "application/json"})
