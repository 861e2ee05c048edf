"""CDEvents -> opscontext changes.

Which event fields feed which part of a Change:

- ``id``: ``context.id``; ``at``: ``context.timestamp``.
- ``service``: ``subject.id`` for service events, without a leading ``kind/`` segment (the
  spec's examples are ``service/myapp``, ``daemonset/myapp``); ``content.service.id`` for
  incidents; the package name of the purl for ``artifact.published``; for ``change.merged`` the
  ``repositories`` config table (``"org/repo" = "service"``), else the repository's own name.
- ``version``: the version of the purl in ``content.artifactId`` (or the subject's purl).
- ``environment``: ``content.environment.id`` (``content.name`` for environment events).
- ``service`` is overridden by ``customData.service`` when a producer sets it (environment and
  infrastructure changes that touch one service).
- the summary ends with ``customData.title`` or ``customData.summary`` when present.
- ``author``: ``customData.author`` -- CDEvents has no author field, so producers that want one
  shown put it there -- else ``content.user`` (artifact events, 0.4+).
- ``link``: ``customData.url``, else an incident's ``ticketURI``, an environment's URL, or
  ``context.source`` when it is an http(s) URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

from opscontext.models import Change
from opscontext_connectors.cdevents.wire import CDEvent

# (subject, predicate) -> Change.kind; "*" matches any predicate of the subject.
KINDS: dict[tuple[str, str], str] = {
    ("service", "deployed"): "deployment",
    ("service", "upgraded"): "upgrade",
    ("service", "rolledback"): "rollback",
    ("service", "removed"): "removal",
    ("service", "published"): "published",
    ("change", "merged"): "merge",
    ("environment", "modified"): "environment",
    ("artifact", "published"): "artifact",
    ("incident", "*"): "incident",
}


def kind_of(event: CDEvent) -> str | None:
    pair = event.subject_and_predicate
    if pair is None:
        return None
    return KINDS.get(pair) or KINDS.get((pair[0], "*"))


def parse_purl(purl: str) -> tuple[str | None, str | None]:
    """(name, version) of a package URL such as ``pkg:oci/myapp@sha256%3Aab12``."""
    if not purl.startswith("pkg:"):
        return None, None
    body = purl[4:].split("#", 1)[0].split("?", 1)[0]
    path, _, version = body.rpartition("@")
    if not path:  # no "@": the whole body is the path
        path, version = body, ""
    name = unquote(path.rstrip("/").rsplit("/", 1)[-1]) if "/" in path else None
    return name or None, unquote(version) or None


def strip_kind_prefix(subject_id: str) -> str:
    return subject_id.rstrip("/").rsplit("/", 1)[-1]


def _is_url(value: str | None) -> bool:
    return bool(value) and str(value).lower().startswith(("http://", "https://"))


def _service(event: CDEvent, kind: str, repositories: Mapping[str, str]) -> str | None:
    # An explicit customData.service wins: producers use it to say which service an
    # environment or infrastructure change touched, which the spec has no field for.
    explicit = event.custom("service")
    if explicit:
        return explicit
    subject, content = event.subject, event.subject.content
    if kind == "merge":
        if content.repository is None:
            return None
        repo = content.repository.id
        return repositories.get(repo.lower()) or strip_kind_prefix(repo)
    if kind == "incident":
        return strip_kind_prefix(content.service.id) if content.service else None
    if kind == "artifact":
        return parse_purl(subject.id)[0]
    if kind == "environment":
        return None
    return strip_kind_prefix(subject.id)


def _version(event: CDEvent, kind: str) -> str | None:
    purl = event.subject.id if kind == "artifact" else event.subject.content.artifact_id
    return parse_purl(purl)[1] if purl else None


def _environment(event: CDEvent, kind: str) -> str | None:
    content = event.subject.content
    if kind == "environment":
        return content.name or event.subject.id
    return content.environment.id if content.environment else None


def _link(event: CDEvent) -> str | None:
    content = event.subject.content
    candidates = (
        event.custom("url"),
        content.ticket_uri,
        content.uri,
        content.url,
        event.context.source,
    )
    return next((c for c in candidates if c and _is_url(c)), None)


def _short(version: str | None) -> str | None:
    """Digests are unreadable in a sentence; keep the algorithm and 12 hex digits."""
    if version and ":" in version and len(version) > 24:
        algo, _, digest = version.partition(":")
        return f"{algo}:{digest[:12]}"
    return version


def _opt(prefix: str, value: str | None) -> str:
    """The prefixed value (' to production'), or nothing when there is no value."""
    return f"{prefix}{value}" if value else ""


def summarize(kind: str, event: CDEvent, service: str | None, version: str | None, env: str | None) -> str:
    """One sentence a person would say: "deployed payment-service 2.14.0 to production"."""
    svc, ver = service or event.subject.id, _short(version)
    repo = event.subject.content.repository
    predicate = (event.subject_and_predicate or ("", ""))[1]
    sentences = {
        "deployment": f"deployed {svc}{_opt(' ', ver)}{_opt(' to ', env)}",
        "upgrade": f"upgraded {svc}{_opt(' to ', ver)}{_opt(' in ', env)}",
        "rollback": f"rolled back {svc}{_opt(' to ', ver)}{_opt(' in ', env)}",
        "removal": f"removed {svc}{_opt(' from ', env)}",
        "published": f"published {svc}{_opt(' in ', env)}",
        "merge": f"merged change {event.subject.id} into {repo.id if repo else svc}",
        "environment": f"modified environment {env or event.subject.id}",
        "artifact": f"published artifact {svc}{_opt(' ', ver)}",
        "incident": f"incident {predicate} on {svc}{_opt(' in ', env)}",
    }
    described = event.subject.content.description if kind == "incident" else None
    detail = event.custom("title") or event.custom("summary") or described
    return sentences[kind] + _opt(": ", detail)


def to_change(event: CDEvent, *, source: str, repositories: Mapping[str, str]) -> Change | None:
    """The Change an event records, or None for event types opscontext does not map."""
    kind = kind_of(event)
    if kind is None:
        return None
    service = _service(event, kind, repositories)
    version = _version(event, kind)
    env = _environment(event, kind)
    return Change(
        id=event.context.id,
        service=service,
        kind=kind,
        summary=summarize(kind, event, service, version, env),
        at=event.context.timestamp,
        author=event.custom("author") or event.subject.content.user,
        link=_link(event),
        environment=env,
        version=version,
        source=source,
    )
