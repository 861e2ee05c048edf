"""Readable terminal output for ``service_health`` (rich); ``--json`` bypasses it."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from opscontext.render import _sources, _t, safe

_STYLE = {"page": "[bold red]PAGE[/bold red]", "ticket": "[yellow]ticket[/yellow]", "unknown": "[dim]unknown[/dim]"}


def _pct(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def _burns(h: Any) -> str:
    parts = []
    for b in h.burn_rates:
        long = "n/a" if b.long_burn is None else f"{b.long_burn:g}"
        short = "n/a" if b.short_burn is None else f"{b.short_burn:g}"
        mark = "!" if b.firing else ""
        parts.append(f"{b.windows} {long}/{short}{mark}")
    return "  ".join(parts)


def render_service_health(a: Any, console: Console) -> None:
    console.print(f"[bold]Service health at {_t(a.at)}[/bold] (burn rate: 1 = spending the budget exactly on time)")
    table = Table("service", "SLO", "target", "SLI 5m", "budget left", "burn long/short (! fires)", "alert")
    for group in a.services:
        name = safe(group.service) + (" [dim](user-facing)[/dim]" if group.user_facing else "")
        for h in group.slos:
            table.add_row(
                name,
                safe(h.slo),
                _pct(h.target, 3 if h.target > 0.99 else 1),
                _pct(h.sli_now),
                _pct(h.error_budget_remaining, 0),
                _burns(h),
                _STYLE.get(h.alert, "none"),
            )
            name = ""
        if group.slos_omitted:
            table.add_row("", f"[dim]{group.slos_omitted} more SLOs not shown[/dim]", "", "", "", "", "")
    console.print(table if a.services else "[yellow]no SLO found for the services asked[/yellow]")
    for group in a.services:
        for h in group.slos:
            if h.detail:
                console.print(f"[dim]{safe(h.slo)}: {safe(h.detail)}[/dim]")
    if a.services_omitted:
        console.print(f"[yellow]{a.services_omitted} more services not shown[/yellow]")
    if a.without_slos:
        console.print("no SLO defined for: " + ", ".join(safe(s) for s in a.without_slos))
    _sources(a.sources, a.notes, console)
