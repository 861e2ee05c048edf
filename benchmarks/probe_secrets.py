"""Plant secrets of every kind in a copy of the demo world and count what comes out.

    python benchmarks/probe_secrets.py            # per kind: planted, leaked

Each kind is planted in five places (change summary, change link, runbook body, catalog
title/description/link URL, alert annotations and generator URL) and read back through the MCP
tools over an in-memory client; a leak is any needle of the kind in a tool's answer. The corpus
is tests/security/secret_corpus.py, which the security tests assert against as well.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path

from mcp import Client

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "security"))

from secret_corpus import KINDS, leaked, plant  # noqa: E402

from opscontext.cache import MemoryCache  # noqa: E402
from opscontext.server import build_server  # noqa: E402
from opscontext.settings import load  # noqa: E402

PLACES = 5


def _text(result: object) -> str:
    return json.dumps(getattr(result, "structured_content", None)) + " ".join(
        getattr(c, "text", "") for c in getattr(result, "content", [])
    )


async def probe(world: Path) -> dict[str, int]:
    """Leaked placements per kind (0..PLACES)."""
    async with Client(build_server(load(world / "opscontext.toml"), cache=MemoryCache())) as client:
        changed = await client.call_tool("what_changed", {"service": "payment-service", "include_dependencies": False})
        entries = (changed.structured_content or {}).get("changes", [])
        alerts = _text(await client.call_tool("correlate_alerts", {}))
        leaks: dict[str, int] = {}
        for i, kind in enumerate(KINDS):
            entry = next((c for c in entries if f"zzk{i} deploy" in (c.get("summary") or "")), {})
            book = _text(await client.call_tool("get_runbook", {"query": f"zzk{i}"}))
            owner = _text(await client.call_tool("who_owns", {"service": f"planted-{i}"}))
            if not entry or f"Planted zzk{i}" not in book or f"planted-{i}" not in owner:
                raise SystemExit(f"{kind} was not planted where expected; the probe would prove nothing")
            places = (entry.get("summary") or "", entry.get("link") or "", book, owner, alerts)
            leaks[kind] = sum(leaked(kind, text) for text in places)
    return leaks


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "demo"
        shutil.copytree(ROOT / "fixtures" / "demo", world)
        plant(world)
        leaks = asyncio.run(probe(world))
    print(f"{'kind':28} planted leaked")
    for kind, n in leaks.items():
        print(f"{kind:28} {PLACES:7} {n:6}")
    total = sum(leaks.values())
    kinds = sum(1 for n in leaks.values() if n)
    print(f"{len(KINDS)} kinds x {PLACES} places = {len(KINDS) * PLACES} planted; {total} leaked ({kinds} kinds)")


if __name__ == "__main__":
    main()
