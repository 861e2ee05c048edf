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

import itertools
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
POD_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_POD_SUFFIX = re.compile(f"^[{POD_ALPHABET}]{{5}}$")
_TEMPLATE_HASH = re.compile(f"^[{POD_ALPHABET}]{{6,10}}$")
_MAX_PODS_REMEMBERED = 100_000
_TOKEN_SEPARATORS = re.compile(r"[\s_\-.]+")
# A leading part of workload names counts as a release prefix when it leaves this many different
# catalog services behind (one fewer for a part of two or more words); at most this many tokens
# long, and at most this many are kept.
MIN_PREFIX_SERVICES = 3
_MAX_PREFIX_TOKENS = 4
_MAX_PREFIXES = 16
_MAX_LEARN_VALUES = 20_000


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
        if isinstance(hit, str):
            return hit
        # ``namespace/name``: OpenTelemetry's Prometheus exporters set ``job`` to
        # service.namespace + "/" + service.name (opentelemetry-demo/checkout), and Kubernetes
        # refers to objects that way. A route ("/api/cart") is not a name.
        cleaned = text.strip()
        head, slash, last = cleaned.rpartition("/")
        if slash and head and last and not cleaned.startswith("/") and "://" not in cleaned:
            return self.match(last)
        return None

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


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN_SEPARATORS.split(text.strip().lower()) if t]


class ServiceResolver:
    """Resolves user text and alert labels to catalog services.

    It also learns **release prefixes** (:meth:`learn_prefixes`): Helm names every workload of a
    release ``<release>-<component>`` (``my-otel-demo-checkout``, and its pods after it), and a
    catalog lists the components. A leading part that leaves a known service behind in the names
    of at least :data:`MIN_PREFIX_SERVICES` different services is such a prefix, and is stripped
    from then on; one of two or more words (``my-otel-demo``) needs one service fewer. One word
    before two services (``redis-cart``, ``redis-session`` beside ``cart`` and ``session``) is
    not enough: a technology word is not a release, and a wrong join pages the wrong team.
    """

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
        self._pods: dict[str, tuple[str | None, bool]] = {}  # pod -> (owner, through a prefix)
        self._prefixes: list[tuple[str, ...]] = []  # learnt release prefixes, longest first
        self._examined: set[str] = set()  # spellings already read for prefixes (bounded)
        self._evidence: dict[tuple[str, ...], set[str]] = {}
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
        return self.attribute(raw, labels, label_order)[0]

    def attribute(
        self, raw: str | None, labels: Mapping[str, str], label_order: Sequence[str],
    ) -> tuple[str | None, bool]:
        """:meth:`from_labels`, and whether only a learnt release prefix made the match: an
        answer that relied on one says so, one that did not must not."""
        hit = self.index.match(raw)
        if hit is not None:
            return hit, False
        for label in label_order:
            hit = self.index.match(labels.get(label))
            if hit is not None:
                return hit, False
        for label in POD_LABELS:
            pod = labels.get(label)
            if pod and len(pod) <= MAX_QUERY:
                owner = self._pod_owner(pod)
                if owner[0] is not None:
                    return owner
        if self._prefixes:  # pods went through the learnt prefixes above
            for value in _spellings(raw, labels, label_order, pods=False):
                hit = self.without_prefix(value)
                if hit is not None:
                    return hit, True
        return None, False

    @property
    def prefixes(self) -> list[str]:
        """The release prefixes learnt so far, as ``my-otel-demo-``."""
        return ["-".join(p) + "-" for p in self._prefixes]

    def without_prefix(self, text: str | None) -> str | None:
        """The service ``text`` names once a learnt release prefix is stripped, if any."""
        if not text or len(text) > MAX_QUERY or not self._prefixes:
            return None
        tokens = _tokens(text)
        for prefix in self._prefixes:
            n = len(prefix)
            if len(tokens) > n and tuple(tokens[:n]) == prefix:
                return self.index.match("-".join(tokens[n:]))
        return None

    def match_learned(self, text: str | None) -> str | None:
        """:meth:`match`, then with a learnt release prefix stripped."""
        return self.index.match(text) or self.without_prefix(text)

    def learn_prefixes(self, values: Iterable[str], pairs: Iterable[tuple[str, str]] = ()) -> bool:
        """Learn release prefixes from spellings that name no service (alert label values, pod
        owners), and from ``pairs``: (another spelling, service) read off alerts that did name
        their service (``service_name=cart`` beside ``pod=my-otel-demo-cart-...``), where the
        spelling must leave that very service. True when a new prefix was learnt, so what did
        not resolve may now."""
        found = self._evidence  # prefix -> services it left behind, over every call so far
        known = set(self._prefixes)
        examined = self._examined  # a source re-read hands the same spellings again
        fresh: set[tuple[str, ...]] = set()
        n = 0
        for value, expected in itertools.chain(((v, None) for v in values), pairs):
            if value in examined:
                continue
            n += 1
            if n > _MAX_LEARN_VALUES:
                break
            if len(examined) >= _MAX_LEARN_VALUES * 5:
                examined.clear()
            examined.add(value)
            if not value or len(value) > MAX_QUERY:
                continue
            tokens = _tokens(value)
            for k in range(1, min(len(tokens), _MAX_PREFIX_TOKENS + 1)):
                prefix = tuple(tokens[:k])
                if prefix in known:
                    break
                hit = self.index.match("-".join(tokens[k:]))
                if hit is not None:
                    if expected is not None and hit != expected:
                        break  # it leaves another service than the alert names: no evidence
                    if prefix not in found and len(found) >= _MAX_LEARN_VALUES:
                        found.clear()
                    found.setdefault(prefix, set()).add(hit)
                    fresh.add(prefix)
                    break  # the shortest prefix that leaves a service
        new = [p for p in fresh
               if len(found.get(p, ())) >= (MIN_PREFIX_SERVICES if len(p) == 1 else MIN_PREFIX_SERVICES - 1)
               and self.index.match("-".join(p)) is None]
        if not new or len(self._prefixes) >= _MAX_PREFIXES:
            return False
        self._prefixes = sorted([*self._prefixes, *new], key=len, reverse=True)[:_MAX_PREFIXES]
        self._pods.clear()  # owners remembered as unknown may be known now
        return True

    def unresolved_spellings(self, raw: str | None, labels: Mapping[str, str], label_order: Sequence[str]) -> list[str]:
        """What an alert that resolved to nothing calls its service: the values to learn from."""
        return list(_spellings(raw, labels, label_order))

    def paired_spellings(
        self, service: str, labels: Mapping[str, str], label_order: Sequence[str],
    ) -> list[tuple[str, str]]:
        """The other names an alert resolved to ``service`` gives it (its pods' owners, other
        service labels) that name nothing as they are: ``(spelling, service)`` pairs to learn from."""
        return [(v, service) for v in _spellings(None, labels, label_order)
                if len(v) <= MAX_QUERY and self.index.match(v) is None]

    def _pod_owner(self, pod: str) -> tuple[str | None, bool]:
        """The catalog service owning ``pod`` and whether a learnt prefix was needed, remembered:
        an estate's alerts name the same pods over and over, and most of them name none the
        catalog knows."""
        known = self._pods.get(pod)
        if known is not None:
            return known
        if len(self._pods) >= _MAX_PODS_REMEMBERED:
            self._pods.clear()
        found: tuple[str | None, bool] = (None, False)
        for owner in pod_owners(pod):
            hit = self.index.match(owner)
            if hit is not None:
                found = (hit, False)
                break
            hit = self.without_prefix(owner)
            if hit is not None:
                found = (hit, True)
                break
        self._pods[pod] = found
        return found

    def team(self, text: str | None) -> str | None:
        return self.teams.match(text)


def _spellings(
    raw: str | None, labels: Mapping[str, str], label_order: Sequence[str], pods: bool = True,
) -> Iterable[str]:
    """The names an alert gives its service, in the order they are tried: its own field, each
    service label, then (``pods``) the workloads owning the pods it names."""
    if raw:
        yield raw
    for label in label_order:
        value = labels.get(label)
        if value:
            yield value
    for label in POD_LABELS if pods else ():
        pod = labels.get(label)
        if pod and len(pod) <= MAX_QUERY:
            yield from pod_owners(pod)
