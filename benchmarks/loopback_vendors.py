"""A 64-service estate served on loopback the way four vendors' APIs serve it.

    python benchmarks/loopback_vendors.py --port 8765 [--services 64] [--latency-ms 0]

Every service deploys every 8 hours (three deploys in the last day, the newest 10 minutes ago
plus two minutes per service index) and publishes a release an hour ago. Each deploy is reported
by four systems, in their documented API shapes (built from the recorded payloads under
``fixtures/http``), under a base path per vendor:

- ``/github``: REST ``/repos/{owner}/{repo}/deployments``, ``/releases`` and
  ``/deployments/{id}/statuses``, with ``ETag``/``If-None-Match`` (a 304 costs no quota) and
  ``x-ratelimit-remaining``/``x-ratelimit-reset`` counting down from 5,000;
- ``/pagerduty``: ``/change_events`` with classic ``offset``/``limit``/``more`` paging;
- ``/servicenow``: ``/api/now/table/change_request`` with ``sysparm_offset`` paging and a
  ``Link`` header;
- ``/dynatrace``: ``/api/v2/events`` with ``nextPageKey`` paging.

``GET /__stats`` returns the requests served per vendor and status; ``POST /__reset`` zeroes
them. ``--latency-ms`` delays every answer, standing in for a network round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hashlib
import json
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

HTTP = Path(__file__).resolve().parents[1] / "fixtures" / "http"
DEPLOYS_PER_SERVICE = 10  # every 8 hours: three inside a 24-hour window
EVERY = timedelta(hours=8)


def recorded(vendor: str, name: str) -> Any:
    return json.loads((HTTP / vendor / name).read_text())


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


class Estate:
    """The deploys of ``services`` services, anchored at ``now``."""

    def __init__(self, services: int, now: datetime):
        self.names = [f"svc-{i:02d}" for i in range(services)]
        self.now = now
        self.deploys = [
            (i, name, k, now - timedelta(minutes=10 + 2 * i) - k * EVERY)
            for i, name in enumerate(self.names)
            for k in range(DEPLOYS_PER_SERVICE)
        ]

    @staticmethod
    def version(k: int) -> str:
        return f"1.{DEPLOYS_PER_SERVICE - k}.0"

    def github_deployments(self, name: str) -> list[dict[str, Any]]:
        template = recorded("github", "deployments.page1.json")[0]
        out = []
        for i, svc, k, at in self.deploys:
            if svc == name:
                item = copy.deepcopy(template)
                item |= {"id": 1_000_000 + 100 * i + k, "ref": f"v{self.version(k)}", "environment": "production",
                         "created_at": iso(at), "updated_at": iso(at),
                         "url": f"https://api.github.com/repos/acme/{name}/deployments/{1_000_000 + 100 * i + k}"}
                out.append(item)
        return out  # newest first, as GitHub lists them

    def github_releases(self, name: str) -> list[dict[str, Any]]:
        template = recorded("github", "releases.page1.json")[1]
        at = iso(self.now - timedelta(hours=1))
        return [template | {"id": 7_000_000 + self.names.index(name), "tag_name": f"v{self.version(0)}",
                            "name": None, "draft": False, "prerelease": False, "created_at": at, "published_at": at,
                            "html_url": f"https://github.com/acme/{name}/releases/tag/v{self.version(0)}"}]

    def pagerduty_events(self) -> list[dict[str, Any]]:
        template = recorded("pagerduty", "change_events.json")["change_events"][0]
        out = []
        for i, name, k, at in self.deploys:
            event = copy.deepcopy(template)
            event |= {"id": f"PDCE{i:03d}{k:02d}", "summary": f"Deploy {name} v{self.version(k)}",
                      "timestamp": iso(at + timedelta(seconds=20))}
            event["services"] = [event["services"][0] | {"id": f"P{i:05d}", "summary": name}]
            event["custom_details"] = {"version": f"v{self.version(k)}", "environment": "production"}
            out.append(event)
        return out

    def servicenow_changes(self) -> list[dict[str, Any]]:
        template = recorded("servicenow", "change_request.page1.json")["result"][0]
        out = []
        for i, name, k, at in self.deploys:
            stamp = (at - timedelta(minutes=3)).strftime("%Y-%m-%d %H:%M:%S")
            title = f"Deploy {name} {self.version(k)}"
            record = copy.deepcopy(template)
            record |= {"sys_id": {"value": f"{i:016x}{k:016x}", "display_value": f"{i:016x}{k:016x}"},
                       "number": {"value": f"CHG{i:04d}{k:03d}", "display_value": f"CHG{i:04d}{k:03d}"},
                       "short_description": {"value": title, "display_value": title},
                       "work_start": {"value": stamp, "display_value": stamp},
                       "cmdb_ci": {"value": f"ci{i:030d}", "display_value": name}}
            out.append(record)
        return out

    def dynatrace_events(self) -> list[dict[str, Any]]:
        template = recorded("dynatrace", "events.json")["events"][0]
        out = []
        for i, name, k, at in self.deploys:
            event = copy.deepcopy(template)
            event |= {"eventId": f"{i}{k}_{int(at.timestamp() * 1000)}", "title": f"Deploy {name}",
                      "startTime": int((at + timedelta(minutes=1)).timestamp() * 1000)}
            event["entityId"] = {"entityId": {"id": f"SERVICE-{i:016X}", "type": "SERVICE"}, "name": name}
            event["properties"] = [{"key": "dt.event.deployment.version", "value": self.version(k)},
                                   {"key": "dt.event.deployment.release_stage", "value": "production"}]
            out.append(event)
        return out


def app(estate: Estate, latency: float) -> Starlette:
    stats: Counter[str] = Counter()
    quota = {"remaining": 5000, "reset": int(time.time()) + 3600}
    pd, sn, dt = estate.pagerduty_events(), estate.servicenow_changes(), estate.dynatrace_events()

    async def answered(vendor: str, status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
        stats[f"{vendor} {status}"] += 1
        if latency:
            await asyncio.sleep(latency)
        if body is None:
            return Response(status_code=status, headers=headers)
        return Response(json.dumps(body), status_code=status, headers=headers, media_type="application/json")

    async def github(request: Request) -> Response:
        path = request.url.path.removeprefix("/github")
        parts = path.strip("/").split("/")
        name = parts[2] if len(parts) > 2 else ""
        if parts[:2] != ["repos", "acme"] or name not in estate.names:
            return await answered("github", 404, {"message": "Not Found"})
        if parts[3:] == ["deployments"]:
            body: Any = estate.github_deployments(name)
        elif parts[3:] == ["releases"]:
            body = estate.github_releases(name)
        elif len(parts) == 6 and parts[5] == "statuses":
            body = recorded("github", "deployment-1450003-statuses.json")[:1]
        else:
            return await answered("github", 404, {"message": "Not Found"})
        content = json.dumps(body).encode()
        etag = '"' + hashlib.sha256(content).hexdigest()[:40] + '"'
        headers = {"ETag": etag, "X-RateLimit-Limit": "5000", "X-RateLimit-Reset": str(quota["reset"])}
        if request.headers.get("if-none-match") == etag:
            headers["X-RateLimit-Remaining"] = str(quota["remaining"])  # a 304 costs no quota
            return await answered("github", 304, None, headers)
        quota["remaining"] = max(0, quota["remaining"] - 1)
        headers["X-RateLimit-Remaining"] = str(quota["remaining"])
        return await answered("github", 200, body, headers)

    async def pagerduty(request: Request) -> Response:
        q = request.query_params
        offset, limit = int(q.get("offset", 0)), int(q.get("limit", 25))
        since, until = q.get("since", ""), q.get("until", "~")  # ISO UTC strings compare as times
        found = [e for e in pd if since <= e["timestamp"] <= until]
        page = found[offset : offset + limit]
        more = offset + limit < len(found)
        body = {"change_events": page, "limit": limit, "offset": offset, "more": more, "total": None}
        return await answered("pagerduty", 200, body)

    async def servicenow(request: Request) -> Response:
        q = request.query_params
        offset, limit = int(q.get("sysparm_offset", 0)), int(q["sysparm_limit"])
        since = re.search(r"work_start>=([\d-]+ [\d:]+)", q.get("sysparm_query", ""))
        until = re.search(r"work_start<=([\d-]+ [\d:]+)", q.get("sysparm_query", ""))
        found = [r for r in sn if (not since or r["work_start"]["value"] >= since[1])
                 and (not until or r["work_start"]["value"] <= until[1])]
        base = str(request.url).split("?")[0]
        links = [f'<{base}?sysparm_offset=0&sysparm_limit={limit}>;rel="first"']
        if offset + limit < len(found):
            links.append(f'<{base}?sysparm_offset={offset + limit}&sysparm_limit={limit}>;rel="next"')
        headers = {"X-Total-Count": str(len(found)), "Link": ",".join(links)}
        return await answered("servicenow", 200, {"result": found[offset : offset + limit]}, headers)

    async def dynatrace(request: Request) -> Response:
        q = request.query_params
        # The cursor encodes the query, as Dynatrace's does: later pages carry nothing else.
        cursor = q.get("nextPageKey")
        start, end, offset, size = (
            map(int, cursor.split(":")) if cursor else (int(q["from"]), int(q["to"]), 0, int(q["pageSize"]))
        )
        found = [e for e in dt if start <= e["startTime"] <= end]
        nxt = f"{start}:{end}:{offset + size}:{size}" if offset + size < len(found) else None
        body = {"totalCount": len(found), "pageSize": size, "nextPageKey": nxt, "events": found[offset : offset + size]}
        return await answered("dynatrace", 200, body)

    async def show(request: Request) -> Response:
        return JSONResponse(dict(stats) | {"github quota used": 5000 - quota["remaining"]})

    async def reset(request: Request) -> Response:
        stats.clear()
        quota["remaining"] = 5000
        return JSONResponse({})

    return Starlette(routes=[
        Route("/github/{rest:path}", github),
        Route("/pagerduty/change_events", pagerduty),
        Route("/servicenow/api/now/table/change_request", servicenow),
        Route("/dynatrace/api/v2/events", dynatrace),
        Route("/__stats", show),
        Route("/__reset", reset, methods=["POST"]),
    ])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--services", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    estate = Estate(args.services, datetime.now(UTC).replace(microsecond=0))
    uvicorn.run(app(estate, args.latency_ms / 1000), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
