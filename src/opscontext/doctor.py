"""`opscontext doctor`: one cheap call per configured source, and what to do when it fails.

A source that answered but left files or entries out (a file source's ``problems()``) is
reported degraded, naming them, and fails the check: it is not safe to rely on yet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import timedelta

from pydantic import BaseModel

from opscontext.app import App
from opscontext.capabilities import CAPABILITIES, Checkable
from opscontext.capability import Ask
from opscontext.engine.correlation.observed import named_calls
from opscontext.engine.correlation.topology import adjacency
from opscontext.engine.graph import ServiceGraph
from opscontext.errors import MAX_SOURCE_MESSAGE, SourceError
from opscontext.models import Alert, SourceState, TimeWindow
from opscontext.problems import ReportsProblems, reason_of
from opscontext.queries.common import unattributed_notes
from opscontext.queries.correlate import DEFAULT_WINDOW
from opscontext.registry import Instance
from opscontext.sanitize import clean_text, strip_unsafe

PROBE_SERVICE = "opscontext-doctor-probe"


class CheckResult(BaseModel):
    instance: str
    type: str
    capabilities: list[str]
    ok: bool  # false for a degraded source too: doctor exits 1 until every file is readable
    state: SourceState = SourceState.OK
    detail: str
    seconds: float


async def run_checks(app: App) -> list[CheckResult]:
    timeout = app.settings.limits.source_timeout_seconds
    results = list(await asyncio.gather(*(_check(app, inst, timeout) for inst in app.registry.instances)))
    # A degraded source still answers (the files that were read): the attribution rows say what
    # its answer does with the alerts, which matters most while its files are being fixed.
    alerts_ok = any("alerts" in r.capabilities and r.state is not SourceState.FAILED for r in results)
    services = any(("catalog" in r.capabilities or "topology" in r.capabilities)
                   and r.state is not SourceState.FAILED for r in results)
    if alerts_ok and services:
        results.extend(await _attribution(app, timeout))
    return results


async def _attribution(app: App, budget: float) -> list[CheckResult]:
    """Whether the recent alerts name services the catalog knows: alerts that do not are left out
    of every group, and the fix (an alias, the right label in ``[identity] service_labels``) is
    easiest to make while setting up. And whether the calls they name (client spans, peers, mesh
    destinations) are dependencies the catalog declares: correlate_alerts reads the missing ones
    from the alerts, but blast_radius and every other tool go by the catalog. Advisory: neither
    row ever fails doctor."""
    started = time.perf_counter()
    now = app.now()
    window = TimeWindow(since=now - DEFAULT_WINDOW, until=now)  # correlate_alerts' default window
    hours = DEFAULT_WINDOW.total_seconds() / 3600
    calls = None
    try:
        world, alerts = await asyncio.wait_for(asyncio.gather(app.worlds.build(), app.hub.alerts(window)), budget)
        raw = alerts.items()
        labels = app.settings.identity.service_labels
        resolved = world.resolve_alerts(raw, labels)
        notes = unattributed_notes(raw, resolved, labels)
        if notes:
            detail = notes[0]
        elif raw:
            detail = f"all {len(raw)} alerts of the last {hours:g} h name a service in the catalog or graph"
        else:
            detail = f"no alerts in the last {hours:g} h to check against the catalog"
        if world.resolver.prefixes:  # shown so that a wrong one is seen (and fixed by an alias)
            shown = ", ".join(repr(p) for p in world.resolver.prefixes)
            detail += f"; workload names read without the release prefix {shown}"
        calls = _declared_calls(resolved, world.graph, hours)
    except TimeoutError:
        detail = f"not checked: reading alerts and the catalog took over {budget:g} s"
    except Exception as exc:  # the sources' own rows say what failed; this one only says it could not check
        detail = f"not checked: {type(exc).__name__}: {exc}"
    seconds = round(time.perf_counter() - started, 3)
    rows = [CheckResult(instance="alerts -> services", type="identity", capabilities=[], ok=True,
                        detail=clean_text(detail, MAX_SOURCE_MESSAGE, multiline=False), seconds=seconds)]
    if calls is not None:
        rows.append(CheckResult(instance="alerts -> dependencies", type="dependencies", capabilities=[], ok=True,
                                detail=clean_text(calls, MAX_SOURCE_MESSAGE, multiline=False), seconds=seconds))
    return rows


def _declared_calls(alerts: Sequence[Alert], graph: ServiceGraph, hours: float) -> str | None:
    """What the alerts' call labels say about the catalog's dependencies; None when no alert
    carries such a label (nothing to say)."""
    named = named_calls(alerts, graph)
    if not named:
        return None
    declared = adjacency(graph).succ
    missing = sorted((a, b) for a, b in named if b not in declared[a])
    if not missing:
        n = len(named)
        return (f"the {n} {'call' if n == 1 else 'calls'} the alerts of the last {hours:g} h name "
                f"{'is a dependency' if n == 1 else 'are dependencies'} the catalog declares")
    shown = ", ".join(f"{a} -> {b}" for a, b in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    n = len(missing)
    return (f"the alerts of the last {hours:g} h name {n} {'call' if n == 1 else 'calls'} the catalog does not "
            f"declare: {shown}{more}. correlate_alerts reads them from the alerts; blast_radius and the other "
            "tools go by the catalog: add them to the callers' dependsOn")


def _detail(detail: str, degraded: str | None) -> str:
    """A check's line, cleaned (a check may quote the source), then what its load left out."""
    if degraded is None:
        return clean_text(detail, MAX_SOURCE_MESSAGE, multiline=False)
    head = clean_text(detail, MAX_SOURCE_MESSAGE, multiline=False)
    line = f"{head}; degraded: {degraded}"
    return line if len(line) <= MAX_SOURCE_MESSAGE else line[: MAX_SOURCE_MESSAGE - 1] + "…"


async def _check(app: App, inst: Instance, budget: float) -> CheckResult:
    started = time.perf_counter()
    state = SourceState.FAILED
    degraded: str | None = None
    try:
        detail = await asyncio.wait_for(_probe(app, inst), timeout=budget)
        ok, state = True, SourceState.OK
        report = inst.connector.problems() if isinstance(inst.connector, ReportsProblems) else None
        if report is not None and report.problems:
            ok, state = False, SourceState.DEGRADED
            # The summary is masked already, by secret shapes only: the general masking would
            # take "auth-service.md: line 3" for a credential and hide the line.
            degraded = strip_unsafe(report.summary(), multiline=False)
    except TimeoutError:
        ok, detail = False, f"no answer within {budget:g} s: check the url, network and proxy"
    except SourceError as exc:
        ok, detail = False, (str(exc).removeprefix(f"{inst.name}: ") or type(exc).__name__) + _asking(exc)
    except Exception as exc:  # doctor reports connector bugs rather than dying on them
        ok, detail = False, f"connector bug: {type(exc).__name__}: {reason_of(exc)}{_asking(exc)}"
    return CheckResult(
        instance=inst.name,
        type=inst.spec.type,
        capabilities=inst.capabilities,
        ok=ok,
        state=state,
        detail=_detail(detail, degraded),
        seconds=round(time.perf_counter() - started, 3),
    )


async def _probe(app: App, inst: Instance) -> str:
    connector = inst.connector
    if isinstance(connector, Checkable):
        return await connector.check()
    now = app.now()
    # A service name no one uses: a health query runs (auth, syntax) without needing the catalog.
    ask = Ask(now=now, window=TimeWindow(since=now - timedelta(hours=1), until=now), services=(PROBE_SERVICE,))
    counts = []
    for name in inst.capabilities:
        capability = CAPABILITIES[name]
        try:
            answer = await capability.call(connector, capability.sample(ask))
        except Exception as exc:
            exc.add_note(f"asking for {capability.probe}")  # the table says what was asked
            raise
        counts.append(f"{name}: {len(capability.items(answer))}")
    return "; ".join(counts)


def _asking(exc: BaseException) -> str:
    """What doctor was asking when ``exc`` was raised, from the note ``_probe`` added."""
    notes = getattr(exc, "__notes__", ())
    return f" ({notes[-1]})" if notes else ""
