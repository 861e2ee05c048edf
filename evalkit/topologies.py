"""Topologies by name: ``real/<name>`` (the bundled real ones), ``file/<name>`` (evalkit's own
topology files) and ``shape/<kind>-<n>`` (synthetic shapes, when :mod:`evalkit.shapes` has them)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from evalkit.classic.topologies import BUNDLED_DIR, Topology, load

HERE = Path(__file__).parent / "topologies"


def unreadable(names: Iterable[str]) -> str | None:
    """Why the first of ``names`` that names no topology cannot be read, for a command line's
    error (None when every one can)."""
    for name in names:
        try:
            topology(name)
        except (ValueError, OSError) as exc:
            said = str(exc)
            return said if said.startswith("unknown topology") else (
                f"topology {name!r} cannot be read ({said}): use real/<name>, file/<name> or shape/<kind>-<n>")
    return None


@cache
def topology(name: str) -> Topology:
    kind, _, rest = name.partition("/")
    if kind == "real":
        return load(BUNDLED_DIR / f"{rest}.json")
    if kind == "file":
        return load(HERE / f"{rest}.json")
    if kind == "shape":
        from evalkit.shapes import shape

        shape_kind, _, n = rest.rpartition("-")
        made: Topology = shape(shape_kind, int(n), seed=0)
        return made
    raise ValueError(f"unknown topology {name!r}: use real/<name>, file/<name> or shape/<kind>-<n>")


def real() -> list[str]:
    return [f"real/{p.stem}" for p in sorted(BUNDLED_DIR.glob("*.json"))]


def files() -> list[str]:
    return [f"file/{p.stem}" for p in sorted(HERE.glob("*.json"))]


# Public topologies added in the seventh round, after every weight and rule was set: nothing is
# fitted on them (``evalkit.calibrate`` leaves them out by default), so their figures stay held out.
# eshop_on_containers and petclinic_microservices came later still, as a second set nobody had looked
# at, to confirm or reject a fix found by looking at the first three.
NEVER_FITTED = (
    "file/dsb_media_microservices",
    "file/dsb_social_network",
    "file/teastore",
    "file/eshop_on_containers",
    "file/petclinic_microservices",
)


def fitting() -> list[str]:
    """The topologies a fit may use by default: the real ones and the topology files, less
    :data:`NEVER_FITTED`."""
    return [t for t in [*real(), *files()] if t not in NEVER_FITTED]


# -- the held-out generators' helpers ---------------------------------------------------------

OTEL_DEMO = HERE / "otel_demo.json"


def otel_demo() -> Topology:
    return load(OTEL_DEMO)


def default_topologies(shared: Path) -> list[Topology]:
    found = [load(p) for p in sorted(shared.glob("*.json"))] if shared.is_dir() else []
    if OTEL_DEMO.exists():
        found.append(otel_demo())
    return found


def resolve(spec: str) -> Topology:
    """A JSON path, ``otel_demo``, or a synthetic shape ``KIND:N[:SEED]``."""
    if spec == "otel_demo":
        return otel_demo()
    if ":" in spec and not Path(spec).exists():
        from evalkit.shapes import shape

        kind, n, *rest = spec.split(":")
        made: Topology = shape(kind, int(n), int(rest[0]) if rest else 0)
        return made
    return load(Path(spec))
