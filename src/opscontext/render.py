"""Readable terminal output for each answer (rich). `--json` bypasses all of this.

Everything printed that did not come from this module passes :func:`safe`: answers are cleaned
where data enters, but a terminal is one more place where an escape sequence (title change,
screen clear, hidden text) or rich markup in a change summary would act instead of being shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from opscontext.engine.correlation.evidence import count
from opscontext.models import SourceState, SourceStatus
from opscontext.sanitize import strip_unsafe
from opscontext.textcut import shorten

EXCERPT_CHARS = 600


def safe(text: object) -> str:
    """Text from a source or a caller, printable as is: no terminal escapes, bidi controls or markup."""
    return escape(strip_unsafe(str(text)))


def _t(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%SZ") if at else "-"


def _sources(statuses: list[SourceStatus], notes: list[str], console: Console) -> None:
    bad = [s for s in statuses if s.state is not SourceState.OK]
    ok = len(statuses) - len(bad)
    line = f"[dim]sources: {ok} ok"
    if bad:
        line += ", " + ", ".join(f"[yellow]{safe(s.source)} {s.state.value}[/yellow]" for s in bad)
    console.print(line + "[/dim]")
    for note in notes:
        console.print(f"[yellow]note:[/yellow] {safe(note)}")


sources_line = _sources  # for renderers in other modules


def render_who_owns(a: Any, console: Console) -> None:
    s = a.service
    console.print(
        f"[bold]{safe(s.name)}[/bold] {safe(s.title or '')}  [dim]{s.kind} {s.tier or ''} {s.system or ''}[/dim]"
    )
    if a.owner:
        o = a.owner
        console.print(
            f"owner: [bold]{safe(o.title or o.team)}[/bold] ({safe(o.team)})  "
            f"{safe(o.chat_channel or '')}  {safe(o.email or '')}"
        )
    else:
        console.print("[red]owner: none recorded[/red]")
    table = Table("level", "on call now", "contact", "until", "schedule", title="On call")
    for e in a.on_call:
        table.add_row(str(e.level), safe(e.person), safe(e.phone or e.email or ""), _t(e.until), safe(e.schedule))
    console.print(table if a.on_call else "[yellow]nobody on call found[/yellow]")
    if a.escalation:
        esc = Table("after", "target", "contact", "engages at", title=f"Escalation: {safe(a.escalation_policy or '')}")
        for step in a.escalation:
            esc.add_row(f"{step.after_minutes} min", safe(step.target), safe(step.contact or ""), _t(step.at))
        console.print(esc)
    if a.next_escalation:
        console.print(f"next escalation: [bold]{safe(a.next_escalation)}[/bold]")
    _sources(a.sources, a.notes, console)


def render_what_changed(a: Any, console: Console) -> None:
    table = Table(
        "at", "service", "kind", "summary", "author", "relation", title=f"Changes {_t(a.since)} .. {_t(a.until)}"
    )
    for c in a.changes:
        table.add_row(
            _t(c.at), safe(c.service or "?"), safe(c.kind), safe(c.summary), safe(c.author or ""), safe(c.relation)
        )
    console.print(table)
    console.print(count(a.total, "change") + (f", {a.omitted} not shown" if a.omitted else ""))
    _next(a, console)
    _sources(a.sources, a.notes, console)


def render_blast(a: Any, console: Console, diagram_file: str | None = None) -> None:
    console.print(
        f"[bold]Blast radius of {safe(a.service)}[/bold]: "
        f"{a.impacted_total} impacted, {count(a.depends_on_total, 'dependency', 'dependencies')}"
    )
    table = Table("distance", "impacted service", "user-facing", "tier", "path")
    for i in a.impacted:
        table.add_row(
            str(i.distance),
            safe(i.service),
            "yes" if i.user_facing else "",
            safe(i.tier or ""),
            safe(" -> ".join(i.path)),
        )
    console.print(table)
    if a.depends_on:
        console.print("depends on: " + ", ".join(f"{safe(d.service)} ({d.distance})" for d in a.depends_on))
    for h in getattr(a, "health", None) or ():
        errors = "errors n/a" if h.error_rate is None else f"errors {h.error_rate:.1%}"
        p99 = "p99 n/a" if h.latency_p99_seconds is None else f"p99 {h.latency_p99_seconds:.3g} s"
        rate = "n/a req/s" if h.request_rate is None else f"{h.request_rate:.3g} req/s"
        hot = h.error_rate is not None and h.error_rate >= 0.05  # past a typical 5% paging threshold
        line = f"{safe(h.service)}: {errors}, {p99}, {rate}"
        console.print(f"health: {'[red]' + line + '[/red]' if hot else line} [dim]({safe(h.source)})[/dim]")
    if diagram_file is None:
        print_diagram(a.diagram, console)
    else:
        console.print(f"[dim]diagram written to {safe(diagram_file)}[/dim]")
    _sources(a.sources, a.notes, console)


def print_diagram(diagram: str, console: Console) -> None:
    """A Mermaid diagram exactly as written, one statement a line: never wrapped or cropped to the
    terminal's width (a wrapped statement no longer parses when pasted into a Mermaid editor)."""
    console.print(Text(strip_unsafe(diagram), style="dim"), soft_wrap=True)


def render_runbooks(a: Any, console: Console) -> None:
    for r in a.runbooks:
        console.print(f"[bold]{safe(r.title)}[/bold]  score {r.score}  [dim]{safe(', '.join(r.matched_on))}[/dim]")
        console.print(f"  {safe(r.location)}")
        if r.section:
            console.print(f"  section: [bold]{safe(r.section)}[/bold]")
        if r.excerpt:
            console.print("  " + safe(shorten(r.excerpt, EXCERPT_CHARS)).replace("\n", "\n  "))
    if not a.runbooks:
        console.print("[yellow]no runbook found[/yellow]")
    _sources(a.sources, a.notes, console)


def render_correlation(a: Any, console: Console) -> None:
    lone = getattr(a, "lone_warnings", 0)
    last = f" and {count(lone, 'lone warning')} listed last" if lone else ""
    if any(s.capability == "alerts" and s.state is not SourceState.OK for s in a.sources):
        # The answer's explanation leads with what the failed or partial alert source means for
        # it; without it "0 alerts -> 0 groups" reads as a quiet estate.
        console.print(f"[yellow]{safe(a.explanation)}[/yellow]")
    console.print(
        f"[bold]{count(a.alerts_in, 'alert')} -> {count(a.groups_out - lone, 'group')}[/bold]{last} "
        f"(noise reduction {a.noise_reduction:.0%}; {count(a.duplicates_removed, 'duplicate')}, "
        f"{len(a.flapping)} flapping)"
    )
    for g in a.groups:
        kind = " [dim]lone warning: possibly noise[/dim]" if getattr(g, "lone_warning", False) else ""
        console.print(f"\n[bold]{safe(g.id)}[/bold] {count(g.alert_count, 'alert')} since {_t(g.started_at)}{kind}")
        console.print(
            f"  primary contributor: [bold red]{safe(g.primary_contributor)}[/bold red] (confidence {g.confidence:.2f})"
        )
        if g.uncertain_because:
            console.print(f"  [yellow]unsure: {safe(g.uncertain_because)}; check the other candidates[/yellow]")
        console.print(f"  {safe(g.summary)}")
        for c in g.candidates[:3]:
            why = f": {safe('; '.join(c.evidence[:3]))}" if c.evidence else ""
            console.print(f"   - {safe(c.service)} {c.score:.2f}{why}")
    if a.ungrouped:
        console.print("\nungrouped: " + ", ".join(f"{k}: {v}" for k, v in a.ungrouped.items()))
    _next(a, console)
    _sources(a.sources, a.notes, console)


def _next(a: Any, console: Console) -> None:
    if getattr(a, "next_cursor", None):
        console.print(f"next page: --cursor '{safe(a.next_cursor)}'")


def render_connectors(specs: dict[str, Any], console: Console) -> None:
    table = Table("type", "capabilities", "summary", "config fields")
    for spec in sorted(specs.values(), key=lambda s: s.type):
        fields = ", ".join(n for n in spec.config_model.model_fields if n not in ("type",))
        table.add_row(safe(spec.type), safe(", ".join(spec.capabilities)), safe(spec.summary), safe(fields))
    console.print(table)
    console.print("[dim]Details and defaults: `opscontext connectors --json`.[/dim]")


def render_checks(settings: Any, results: list[Any], console: Console) -> None:
    console.print(f"config: {safe(settings.config_file or 'demo world')}")
    table = Table("instance", "type", "capabilities", "status", "detail", "seconds")
    for r in results:
        status = {"ok": "[green]ok[/green]", "degraded": "[yellow]DEGRADED[/yellow]"}.get(r.state, "[red]FAILED[/red]")
        table.add_row(
            safe(r.instance), safe(r.type), safe(", ".join(r.capabilities)), status, safe(r.detail), f"{r.seconds:.2f}"
        )
    console.print(table)
    if not results:
        console.print("[yellow]No connectors configured: add \\[connectors.<name>] tables to the config.[/yellow]")
