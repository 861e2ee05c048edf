"""A ServiceNow table that answers a new record at every offset (imported by the ServiceNow tests)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "servicenow"


def one_new_incident_per_offset(
    headers: dict[str, str] | None = None,
) -> Callable[[httpx.Request], httpx.Response]:
    """A page of one incident, another one at every offset (a page repeating earlier records
    ends paging: test_hostile_vendors), so a list longer than max_pages is not one page repeated."""
    record = json.loads((PAYLOADS / "incident.json").read_text())["result"][0]

    def answer(request: httpx.Request) -> httpx.Response:
        offset = request.url.params["sysparm_offset"]
        sys_id = record["sys_id"]
        if isinstance(sys_id, dict):
            renamed: Any = {**sys_id, "value": f"{sys_id['value']}-{offset}"}
        else:
            renamed = f"{sys_id}-{offset}"
        return httpx.Response(200, json={"result": [{**record, "sys_id": renamed}]}, headers=headers)

    return answer
