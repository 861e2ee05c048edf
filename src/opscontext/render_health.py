"""Readable terminal output for ``service_health`` (rich); ``--json`` bypasses it."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from opscontext.render import _sources, _t, safe

_STYLE = {"page": "[bold red]PAGE[/bold red]", "ticket": "[yellow]ticket[/yellow]", "unknown": "[dim]unknown[/dim]"}


def _pct(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def _burns(h: Any) -> str:
    parts = []
    for b in h.burn_rates:
        long = "n/a" if b.long is None else f"{b.long:.3g}"
        short = "n/a" if b.short is None else f"{b.short:.3g}"
        parts.append(f"{b.windows} {long}/{short}{'!' if b.firing else ''}")
    return "  ".join(parts)


def render_service_health(a: Any, console: Console) -> None:
    """Two lines per SLO: what it promises and where it stands, then its burn rates (! fires)."""
    console.print(f"[bold]Service health at {_t(a.at)}[/bold]  [dim]{safe(a.rule)}[/dim]")
    for group in a.services:
        name = safe(group.service) + (" (user-facing)" if group.user_facing else "")
        for h in group.slos:
            target = f"{h.target * 100:.4g}%"
            console.print(
                f"{name}  [bold]{safe(h.slo)}[/bold]  {target}  SLI 5m {_pct(h.sli_now)}  "
                f"budget left {_pct(h.error_budget_remaining, 0)}  {_STYLE.get(h.alert, 'none')}",
                soft_wrap=True,
            )
            console.print(f"    {_burns(h)}" + (f"  [dim]{safe(h.detail)}[/dim]" if h.detail else ""), soft_wrap=True)
        if group.slos_omitted:
            console.print(f"    [dim]{group.slos_omitted} more SLOs not shown[/dim]")
    if not a.services:
        console.print("[yellow]no SLO found for the services asked[/yellow]")
    if a.services_omitted:
        console.print(f"[yellow]{a.services_omitted} more services not shown[/yellow]")
    if a.without_slos:
        console.print("no SLO defined for: " + ", ".join(safe(s) for s in a.without_slos))
    _sources(a.sources, a.notes, console)
