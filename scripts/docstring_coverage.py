"""Docstring coverage of the public functions and classes of the shipped code (issue 11's measure).

Public: a module-level function or class, or a method of a public class, whose name does not start
with an underscore, in a module whose own name does not either. Dunder methods (``__init__`` ...)
are not counted: their class's docstring speaks for them. Overloads and Protocol stubs count as
written. Run: ``python scripts/docstring_coverage.py [--missing] [ROOT ...]``
(default roots: src/opscontext and connectors/opscontext_connectors).
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOTS = (REPO / "src" / "opscontext", REPO / "connectors" / "opscontext_connectors")
Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def public_definitions(tree: ast.Module) -> Iterator[Definition]:
    """Public module-level functions and classes, and the public methods of public classes."""
    for node in tree.body:
        if not isinstance(node, Definition) or node.name.startswith("_"):
            continue
        yield node
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef) and not member.name.startswith("_"):
                    yield member


def modules(roots: list[Path]) -> Iterator[Path]:
    """Python files under ``roots``, skipping private modules (``_x.py``) but not ``__init__``."""
    for root in (r.resolve() for r in roots):
        for path in sorted(root.rglob("*.py")):
            if path.stem.startswith("_") and path.stem != "__init__":
                continue
            yield path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="*", type=Path, default=list(DEFAULT_ROOTS))
    parser.add_argument("--missing", action="store_true", help="list the definitions without a docstring")
    args = parser.parse_args()
    counts = {"functions": [0, 0], "classes": [0, 0]}  # kind -> [documented, total]
    missing: list[str] = []
    for path in modules(args.roots):
        for node in public_definitions(ast.parse(path.read_text(encoding="utf-8"))):
            kind = "classes" if isinstance(node, ast.ClassDef) else "functions"
            documented = ast.get_docstring(node) is not None
            counts[kind][0] += documented
            counts[kind][1] += 1
            if not documented:
                shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
                missing.append(f"{shown}:{node.lineno} {node.name}")
    for kind, (done, total) in counts.items():
        print(f"{kind}: {done}/{total} documented ({100 * done / max(total, 1):.0f} %)")
    if args.missing:
        print("\n".join(missing))


if __name__ == "__main__":
    main()
