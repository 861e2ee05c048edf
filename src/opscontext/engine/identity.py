"""Service identity: one service, many names.

The catalog calls it ``payment-service``; its title is "Payment Service"; PagerDuty knows it as
``PXYZ123``; alerts label it ``app=payments`` or ``kubernetes_deployment=payment-service-v2``.
:class:`NameIndex` maps every such spelling to one canonical name, in order of trust: exact
name, declared alias (title, aliases, identifying annotations), a case- and
separator-insensitive form, then that form without a trailing ``service``/``svc``: deployments
and telemetry often carry the word and catalogs often drop it (the OpenTelemetry demo's services
were ``cartservice``, ``productcatalogservice`` before they became ``cart``, ``product-catalog``).
A form that two services share joins neither. Fuzzy matching only ever *suggests* ("did you
mean"), it never joins silently: a wrong join is worse than no join during an incident.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from rapidfuzz import fuzz, process

from opscontext.errors import InputError, preview
from opscontext.models import Service, Team

_SEPARATORS = re.compile(r"[\s_\-./:]+")
# Annotations whose values are another system's name for the service.
IDENTITY_ANNOTATIONS = (
    "pagerduty.com/service-id",
    "backstage.io/kubernetes-id",
    "github.com/project-slug",
    "dynatrace.com/entity-id",
    "servicenow.com/ci-name",
)
MAX_QUERY = 200
# Labels holding a Kubernetes pod name, tried (after every service label) for the workload that
# owns the pod: kube-state-metrics and cAdvisor alerts often name nothing else.
POD_LABELS = ("pod", "pod_name", "kubernetes_pod_name", "k8s_pod_name")
# Kubernetes names a controller's pods with generated parts from this alphabet (no vowels, no
# 0/1/3, so that nothing readable comes out): a 5-character pod suffix after the owner's name,
# and for a Deployment's pods the ReplicaSet's pod-template-hash (up to 10 characters) before it.
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
_POD_SUFFIX = re.compile(f"^[{_SAFE}]{{5}}$")
_TEMPLATE_HASH = re.compile(f"^[{_SAFE}]{{6,10}}$")
_MAX_PODS_REMEMBERED = 100_000


def normalize(text: str) -> str:
    """Case- and separator-insensitive key: ``Payment_Service`` == ``payment-service``."""
    return _SEPARATORS.sub("", text.strip().lower())


_ROLE_SUFFIXES = ("service", "svc")


def bare(key: str) -> str:
    """A :func:`normalize` key without a trailing role word (``cartservice`` -> ``cart``), unless
    the word is all there is."""
    for suffix in _ROLE_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


# A spelling -> the canonical name it identifies, or the set of them when it is ambiguous. Nearly
# every spelling names one service, and a set per spelling cost ~250 bytes each (15 MiB at 50k).
Targets = dict[str, str | set[str]]


def _put(table: Targets, key: str, canonical: str) -> None:
    have = table.get(key)
    if have is None:
        table[key] = canonical
    elif isinstance(have, set):
        have.add(canonical)
    elif have != canonical:
        table[key] = {have, canonical}


def _targets(found: str | set[str]) -> Iterable[str]:
    return (found,) if isinstance(found, str) else found


def pod_owners(pod: str) -> list[str]:
    """Names the workload owning ``pod`` may have, most specific first: ``cart-7f9c6d8b5b-x2kqz``
    (a Deployment's pod) gives ``cart`` then ``cart-7f9c6d8b5b``; ``orders-db-0`` (a StatefulSet's)
    gives ``orders-db``; a DaemonSet's or Job's ``agent-x2kqz`` gives ``agent``. A name without
    generated parts gives nothing: ``payment-cache`` is not ``payment``."""
    parts = pod.strip().lower().split("-")
    if len(parts) < 2 or not all(parts):
        return []
    last = parts[-1]
    if last.isdigit():  # StatefulSet ordinal
        return ["-".join(parts[:-1])]
    if not _POD_SUFFIX.match(last):
        return []
    out = []
    if len(parts) >= 3 and _TEMPLATE_HASH.match(parts[-2]):
        out.append("-".join(parts[:-2]))
    out.append("-".join(parts[:-1]))
    return out


class NameIndex:
    """Canonical names plus the other spellings that identify them."""

    def __init__(self) -> None:
        self._exact: dict[str, str] = {}
        self._alias: Targets = {}
        self._norm: Targets = {}
        self._bare: Targets = {}

    def add(self, canonical: str, aliases: Iterable[str] = ()) -> None:
        self._exact[canonical.lower()] = canonical
        key = normalize(canonical)
        _put(self._norm, key, canonical)
        _put(self._bare, bare(key), canonical)
        for alias in aliases:
            if alias and alias.strip():
                _put(self._alias, alias.strip().lower(), canonical)
                key = normalize(alias)
                _put(self._norm, key, canonical)
                _put(self._bare, bare(key), canonical)

    @property
    def names(self) -> list[str]:
        return list(self._exact.values())

    def match(self, text: str | None) -> str | None:
        """The canonical name for ``text`` when it is unambiguous, else None. No fuzzing."""
        if not text:
            return None
        key = text.strip().lower()
        if key in self._exact:
            return self._exact[key]
        norm = normalize(text)
        for table, k in ((self._alias, key), (self._norm, norm)):
            hit = table.get(k)
            if isinstance(hit, str):  # a set always holds two or more: ambiguous
                return hit
        # A spelling two services share shares its bare form too, so this stays ambiguous.
        hit = self._bare.get(bare(norm))
        return hit if isinstance(hit, str) else None

    def suggest(self, text: str, *, limit: int = 3, cutoff: float = 60) -> list[str]:
        choices = {name: name for name in self._exact.values()}
        for alias, targets in self._alias.items():
            for target in _targets(targets):
                choices.setdefault(alias, target)
        found = process.extract(text.lower(), list(choices), scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=cutoff)
        out: list[str] = []
        for choice, _score, _ in found:
            name = choices[choice]
            if name not in out:
                out.append(name)
        return out[:limit]


class ServiceResolver:
    """Resolves user text and alert labels to catalog services."""

    def __init__(self, services: Iterable[Service], teams: Iterable[Team] = ()):
        self.services: dict[str, Service] = {}
        self.index = NameIndex()
        for s in services:
            self.services[s.name] = s
            aliases = [*(s.aliases), s.title or ""]
            aliases += [s.annotations[a] for a in IDENTITY_ANNOTATIONS if a in s.annotations]
            slug = s.annotations.get("github.com/project-slug", "")
            if "/" in slug:
                aliases.append(slug.rsplit("/", 1)[1])
            self.index.add(s.name, aliases)
        self._pods: dict[str, str | None] = {}
        self.teams = NameIndex()
        for t in teams:
            self.teams.add(t.name, [t.title or ""])

    def __contains__(self, name: object) -> bool:
        return name in self.services

    def resolve(self, text: str, *, what: str = "service") -> Service:
        """A service from what a person typed; InputError with suggestions when unknown."""
        cleaned = (text or "").strip()
        if not cleaned:
            raise InputError(f"Give a {what} name, e.g. one listed in the catalog.")
        if len(cleaned) > MAX_QUERY:
            raise InputError(
                f"The {what} name {preview(cleaned)} is too long (limit {MAX_QUERY}); service names are short."
            )
        name = self.index.match(cleaned)
        if name is not None:
            return self.services[name]
        suggestions = self.index.suggest(cleaned)
        hint = "" if suggestions else " No similar names exist; check the catalog."
        raise InputError(f"Unknown {what} {preview(cleaned)}.{hint}", suggestions=suggestions)

    def match(self, text: str | None) -> str | None:
        return self.index.match(text)

    def from_labels(self, raw: str | None, labels: Mapping[str, str], label_order: Sequence[str]) -> str | None:
        """The catalog service an alert or change is about: its own field first, then labels, then
        the workload owning the pod a label names (:func:`pod_owners`)."""
        hit = self.index.match(raw)
        if hit is not None:
            return hit
        for label in label_order:
            hit = self.index.match(labels.get(label))
            if hit is not None:
                return hit
        for label in POD_LABELS:
            pod = labels.get(label)
            if pod and len(pod) <= MAX_QUERY:
                hit = self._pod_owner(pod)
                if hit is not None:
                    return hit
        return None

    def _pod_owner(self, pod: str) -> str | None:
        """The catalog service owning ``pod``, remembered: an estate's alerts name the same pods
        over and over, and most of them name none the catalog knows."""
        if pod in self._pods:
            return self._pods[pod]
        if len(self._pods) >= _MAX_PODS_REMEMBERED:
            self._pods.clear()
        hit = next((h for owner in pod_owners(pod) if (h := self.index.match(owner)) is not None), None)
        self._pods[pod] = hit
        return hit

    def team(self, text: str | None) -> str | None:
        return self.teams.match(text)
