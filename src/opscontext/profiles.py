"""Tool profiles: which tools a server lists, so a client loads only what it needs.

``core`` is the incident flow (the five original tools and ``incident_context``); ``all`` is
every tool the server has; otherwise a comma-separated list of tool names, which may include
``core``. An unknown name is a configuration error that lists the valid ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from opscontext.errors import ConfigError, preview

CORE = ("who_owns", "what_changed", "blast_radius", "get_runbook", "correlate_alerts", "incident_context")
PROFILES = ("core", "all")


def select(spec: str | None, available: Sequence[str]) -> list[str]:
    """The tools ``spec`` names, in ``available``'s order; ``core`` and ``all`` may be mixed with
    names (``core,service_health``). ConfigError naming the valid choices otherwise."""
    names: list[str] = []
    for item in (spec or "all").split(","):
        word = item.strip()
        if word.lower() == "all":
            names += available
        elif word.lower() == "core":
            names += [n for n in CORE if n in available]
        elif word:
            names.append(word)
    unknown = [n for n in names if n not in available]
    if unknown or not names:
        what = f"unknown tool {', '.join(preview(n, 60) for n in unknown)}" if unknown else "no tool named"
        raise ConfigError(f"--tools: {what}. Use core, all, or a comma-separated list of: {', '.join(available)}.")
    wanted = set(names)
    return [n for n in available if n in wanted]
