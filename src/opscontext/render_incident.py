"""The terminal view of an incident briefing (``opscontext incident-context``)."""

from __future__ import annotations

from rich.console import Console

from opscontext.briefing.models import IncidentContext
from opscontext.engine.correlation.evidence import count
from opscontext.render import safe, sources_line


def _omitted(n: int, what: str) -> str:
    return f" [dim](+{count(n, what)} not shown)[/dim]" if n else ""


def render_incident(a: IncidentContext, console: Console) -> None:
    """Headline, first steps, then each part in a line or two."""
    console.print(f"[bold]{safe(a.headline)}[/bold]\n")
    for i, step in enumerate(a.next_steps, 1):
        console.print(f"{i}. {safe(step)}")
    g = a.group
    if g is not None:
        console.print(f"\n[bold]incident[/bold] {safe(g.id)}: {safe(g.summary)}")
        console.print(f"  evidence: {safe('; '.join(g.evidence))}")
        if g.uncertain_because:
            console.print(f"  [yellow]unsure: {safe(g.uncertain_because)}[/yellow]")
        if g.alternatives:
            others = ", ".join(f"{safe(x.service)} {x.score:.2f}" for x in g.alternatives)
            console.print(f"  other candidates: {others}{_omitted(g.alternatives_omitted, 'candidate')}")
    if a.impact is not None:
        console.print(f"[bold]users[/bold]: {safe(a.impact.summary)}")
    for o in a.owners:
        people = ", ".join(f"{safe(p.person)} (L{p.level}{', ' + safe(p.contact) if p.contact else ''})"
                           for p in o.on_call) or "nobody found"
        nxt = f"; next: {safe(o.next.target)} in {o.next_in_minutes} min" if o.next and o.next_in_minutes else ""
        console.print(f"[bold]owner[/bold] of {safe(o.service)}: {safe(o.team or 'none recorded')} "
                      f"{safe(o.chat_channel or '')}; on call: {people}{nxt}")
    if a.suspects is not None:
        console.print(f"[bold]suspect changes[/bold]{_omitted(a.suspects.changes_omitted, 'change')}")
        for c in a.suspects.changes:
            console.print(f"  {c.score:.2f} {c.at:%H:%MZ} {safe(c.kind)} {safe(c.service or '?')} "
                          f"({safe(c.relation)}): {safe(c.summary)}")
    if a.blast is not None:
        b = a.blast
        console.print(f"[bold]blast radius[/bold]: {count(b.impacted_total, 'impacted service')}; user-facing "
                      f"reached: {safe(', '.join(b.user_facing_reached) or 'none')}"
                      f"{_omitted(b.user_facing_reached_omitted, 'user-facing service')}")
    if a.runbook is not None:
        r = a.runbook
        console.print(f"[bold]runbook[/bold]: {safe(r.title)}" + (f", section {safe(r.section)}" if r.section else "")
                      + f" [dim]{safe(r.resource or r.location)}[/dim]")
    console.print(f"[dim]about {a.tokens} of {a.max_tokens} tokens[/dim]")
    sources_line(a.sources, a.notes, console)
