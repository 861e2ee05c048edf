"""What a call pays when one file of a runbook folder changed: every file parsed again, or only
that one (``Reloading(per_file=True)``, what the runbooks connector does).

    python benchmarks/reload_files.py            # 500 runbook files (the answer_tokens large world's)
    python benchmarks/reload_files.py --services 20000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from answer_tokens import _runbooks  # benchmarks/answer_tokens.py, beside this script
from machine import machine

from opscontext.registry import ConnectorContext
from opscontext_connectors.runbooks.connector import Runbooks, RunbooksConfig


async def measure(folder: Path, per_file: bool, edits: int) -> tuple[float, int]:
    """Median seconds of the call after one file was edited, and how many files it parsed."""
    config = RunbooksConfig.model_validate({"type": "runbooks", "path": folder})
    connector = Runbooks(ConnectorContext(name="books", config=config))
    connector._files.per_file = per_file
    await connector.runbooks()
    times = []
    for i in range(edits):
        path = folder / f"rb-{i:05d}.md"
        path.write_text(path.read_text(encoding="utf-8") + f"\nedit {i} ({per_file})\n", encoding="utf-8")
        start = time.perf_counter()
        await connector.runbooks()
        times.append(time.perf_counter() - start)
    return statistics.median(times), connector._files.parsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--services", type=int, default=5_000, help="one runbook file per ten services")
    p.add_argument("--edits", type=int, default=7)
    args = p.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="oc-reload-") as tmp:
        folder = Path(tmp) / "runbooks"
        _runbooks(folder, [f"svc-{i:05d}" for i in range(args.services)])
        files = len(list(folder.glob("*.md")))
        for per_file in (False, True):
            seconds, parsed = asyncio.run(measure(folder, per_file, args.edits))
            print(f"{files} runbook files, one edited, per_file={per_file}: median {seconds * 1000:.1f} ms "
                  f"for the call, {parsed} file(s) parsed")


if __name__ == "__main__":
    main()
