"""GitHub deployments and releases -> opscontext Change. Pure functions; no I/O."""

from __future__ import annotations

from opscontext.models import Change
from opscontext_connectors.github.wire import Deployment, DeploymentStatus, Release


def deployment(
    dep: Deployment,
    status: DeploymentStatus | None,
    *,
    repo: str,
    service: str,
    web_root: str,
    source: str,
) -> Change:
    summary = f"deployed {dep.ref or dep.sha[:12]} to {dep.environment or 'an environment'}"
    if status is not None:
        summary += f" ({status.state})"
    # A deployment has no page of its own; its status's log or target is the best place to look.
    link = None
    if status is not None:
        link = status.log_url or status.target_url or status.environment_url
    return Change(
        id=f"{repo}/deployments/{dep.id}",
        service=service,
        kind="deployment",
        summary=summary,
        at=dep.created_at,
        author=dep.creator.login if dep.creator else None,
        link=link or f"{web_root}/{repo}/deployments",
        environment=dep.environment or None,
        version=dep.ref or dep.sha or None,
        source=source,
    )


def release(rel: Release, *, repo: str, service: str, web_root: str, source: str) -> Change:
    title = f"released {rel.tag_name}"
    if rel.name and rel.name != rel.tag_name:
        title += f" ({rel.name})"
    if rel.prerelease:
        title += " [pre-release]"
    return Change(
        id=f"{repo}/releases/{rel.id}",
        service=service,
        kind="release",
        summary=title,
        at=rel.published_at or rel.created_at,
        author=rel.author.login if rel.author else None,
        link=rel.html_url or f"{web_root}/{repo}/releases/tag/{rel.tag_name}",
        version=rel.tag_name,
        source=source,
    )
