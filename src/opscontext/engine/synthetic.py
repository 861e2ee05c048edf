"""Large, seeded, enterprise-shaped service worlds for benchmarks and property tests.

Shape: layered front-ends -> BFF APIs -> domain APIs -> core APIs -> stores, with workers
beside the APIs, and a dozen platform services (auth, a shared database, DNS, ...) everyone
leans on. Dependencies are picked by preferential attachment (an "urn" in which every chosen
target gets one more ticket), so in-degree is heavy-tailed: a few hubs are depended on by
thousands. Within a layer edges point "forward" (higher index), which keeps the graph layered;
a few calls are answered by a call back, closing cycles as mutual API calls do in real estates.

Same seed, same world: everything is drawn from one ``random.Random(seed)``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from opscontext.models import DependencyEdge, EdgeProvenance, Service

PLATFORM = (
    "auth", "postgres-shared", "service-mesh", "config-service", "dns", "secrets-vault",
    "kafka", "redis-shared", "feature-flags", "identity-db", "object-store", "log-pipeline",
)
_WORDS = (
    "orders", "payments", "catalog", "search", "cart", "users", "billing", "inventory",
    "shipping", "pricing", "reviews", "ads", "media", "notify", "reports", "ledger",
)
MUTUAL_SHARE = 0.03  # same-layer calls answered by a call back: the cycles of real estates
_PROVENANCE = ((EdgeProvenance.DECLARED, 0.7), (EdgeProvenance.BOTH, 0.2),
               (EdgeProvenance.OBSERVED, 0.1))


@dataclass(frozen=True)
class _Layer:
    name: str
    share: float
    type: str
    targets: tuple[tuple[str, float], ...]  # (layer name, weight) this layer depends on


_LAYERS = (
    _Layer("web", 0.05, "website", (("bff", 0.6), ("domain", 0.2), ("platform", 0.2))),
    _Layer("bff", 0.10, "service", (("domain", 0.6), ("core", 0.15), ("platform", 0.25))),
    _Layer("domain", 0.30, "service",
           (("domain", 0.15), ("core", 0.35), ("store", 0.3), ("platform", 0.2))),
    _Layer("core", 0.15, "service", (("core", 0.1), ("store", 0.5), ("platform", 0.4))),
    _Layer("worker", 0.15, "worker", (("core", 0.3), ("store", 0.5), ("platform", 0.2))),
    _Layer("store", 0.25, "database", (("platform", 1.0),)),
)
_STORE_TYPES = ("database", "queue", "cache", "search-index")


def _sizes(n: int) -> dict[str, int]:
    """Split ``n`` services over the platform and the layers (largest remainder, sums to n)."""
    platform = min(len(PLATFORM), max(1, n // 50))
    rest = n - platform
    raw = [layer.share * rest for layer in _LAYERS]
    sizes = [int(x) for x in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - sizes[i], reverse=True)
    for i in by_remainder[: rest - sum(sizes)]:
        sizes[i] += 1
    return {"platform": platform} | {la.name: s for la, s in zip(_LAYERS, sizes, strict=True)}


def _services(sizes: dict[str, int], rng: random.Random) -> dict[str, list[Service]]:
    teams = max(1, sum(sizes.values()) // 8)
    out: dict[str, list[Service]] = {"platform": [
        Service(name=name, kind="resource" if i % 2 else "component", type="platform",
                owner="team-platform", tier="tier-1", source="synthetic")
        for i, name in enumerate(PLATFORM[: sizes["platform"]])
    ]}
    for layer in _LAYERS:
        width = len(str(sizes[layer.name]))
        members = []
        for i in range(sizes[layer.name]):
            is_store = layer.name == "store"
            members.append(Service(
                name=f"{layer.name}-{_WORDS[i % len(_WORDS)]}-{i:0{width}d}",
                kind="resource" if is_store else "component",
                type=_STORE_TYPES[i % len(_STORE_TYPES)] if is_store else layer.type,
                owner=f"team-{rng.randrange(teams):04d}",
                tier="tier-1" if layer.name == "web" or rng.random() < 0.1 else
                     ("tier-2" if rng.random() < 0.35 else "tier-3"),
                user_facing=layer.name == "web" or (layer.name == "bff" and rng.random() < 0.05),
                source="synthetic",
            ))
        out[layer.name] = members
    return out


class _Urns:
    """Preferential attachment per layer: positions, each with one ticket plus one per pick."""

    def __init__(self, sizes: dict[str, int]) -> None:
        self.urns = {name: list(range(size)) for name, size in sizes.items()}
        # Platform services start unequal (Zipf-like), so auth and the shared DB become the hubs.
        self.urns["platform"] = [i for i in range(sizes["platform"]) for _ in range(40 // (i + 1))]

    def pick(self, layer: str, rng: random.Random) -> int:
        urn = self.urns[layer]
        chosen = urn[rng.randrange(len(urn))]
        urn.append(chosen)
        return chosen


def _out_degree(layer: str, mean: float, rng: random.Random) -> int:
    if layer == "store":
        return rng.choice((0, 1, 1, 2))
    return 1 + round(rng.expovariate(1 / max(mean - 1, 0.1)))


def _edge(dependent: str, dependency: str, layer: str, rng: random.Random) -> DependencyEdge:
    roll, provenance = rng.random(), EdgeProvenance.DECLARED
    for prov, share in _PROVENANCE:
        if roll < share:
            provenance = prov
            break
        roll -= share
    observed = provenance is not EdgeProvenance.DECLARED
    return DependencyEdge(
        dependent=dependent, dependency=dependency,
        kind="depends_on" if layer in ("store", "platform") else "calls",
        provenance=provenance, source="synthetic",
        request_rate=round(rng.lognormvariate(2.0, 1.5), 2) if observed else None,
    )


def synthetic_world(
    n_services: int, avg_out_degree: float = 5, seed: int = 0,
) -> tuple[list[Service], list[DependencyEdge]]:
    """A seeded world of ``n_services`` services and about ``avg_out_degree * n`` edges."""
    if n_services < 1:
        raise ValueError("n_services must be at least 1")
    rng = random.Random(seed)
    sizes = _sizes(n_services)
    by_layer = _services(sizes, rng)
    urns = _Urns(sizes)
    # Stores average one edge; the other layers make up the rest of the requested mean.
    others = n_services - sizes["store"] - sizes["platform"]
    mean = (avg_out_degree * n_services - sizes["store"]) / max(others, 1)
    edges: list[DependencyEdge] = []
    for layer in _LAYERS:
        names = [t for t, _ in layer.targets if sizes[t]]
        weights = [w for t, w in layer.targets if sizes[t]]
        for i, svc in enumerate(by_layer[layer.name]):
            chosen: set[tuple[str, int]] = set()
            want = _out_degree(layer.name, mean, rng) if names else 0
            for _ in range(want * 3):  # retries absorb repeated picks
                if len(chosen) >= want:
                    break
                target = rng.choices(names, weights)[0]
                j = urns.pick(target, rng)
                if target == layer.name and j <= i:
                    continue  # same layer: point forward, so only mutual calls close cycles
                if (target, j) != (layer.name, i):
                    chosen.add((target, j))
            for t, j in sorted(chosen):
                edges.append(_edge(svc.name, by_layer[t][j].name, t, rng))
                if t == layer.name and rng.random() < MUTUAL_SHARE:
                    edges.append(_edge(by_layer[t][j].name, svc.name, t, rng))
    services = [s for name in ("platform", *(la.name for la in _LAYERS)) for s in by_layer[name]]
    return services, edges
