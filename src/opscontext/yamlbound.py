"""YAML read with a budget: an alias may repeat a node, never multiply it past reason.

YAML aliases (``*name``) repeat an anchored node by reference. PyYAML builds the repeats as
shared objects, so a ~600-byte "billion laughs" (nine anchors, each a list of nine aliases of
the one before) parses in microseconds into a value that stands for 9^9 strings, and anything
that walks it (``str()``, validation, an error message quoting it, a JSON dump of an answer)
runs for minutes and takes gigabytes. So each document's composed node graph is measured before
a value is built: counted with every alias expanded (each distinct node once, memoised, so the
count is linear in the text), and refused past a limit. A node that contains an alias of itself
is refused too. The count is structural: it does not depend on what the values are or on which
keys a reader later looks at.

Every YAML a source reads goes through here (:func:`load_all`, :class:`BoundedLoader`): catalog
files on PyYAML's path (:mod:`opscontext.yamlfast`; yaml-rs refuses aliases it cannot take the
same way), escalation policies, OpenSLO documents and runbook front matter.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import yaml

# One document of a data file (an entity, a policy list, an SLO) holds thousands of values at
# most; an alias bomb stands for hundreds of millions.
MAX_NODES = 1_000_000

_BASE: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TooBig(ValueError):
    """A document whose aliases expand it past the limit, or into itself."""


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def expanded_size(root: yaml.Node, limit: int = MAX_NODES, what: str = "the document") -> int:
    """How many nodes ``root`` holds once every alias is expanded; raises :class:`TooBig` as soon
    as that passes ``limit`` or a node contains itself (``what`` names it in the message)."""
    sizes: dict[int, int] = {}  # by id(): nodes are alive in the graph for the whole walk
    ancestors: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:  # iterative: a deeply nested document must not hit Python's recursion limit
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            ancestors.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > limit:
                raise TooBig(
                    f"line {node.start_mark.line + 1}: {what} expands to more than {limit:,} values, "
                    "each alias (*name) counted in full"
                )
            sizes[key] = size
        elif key in ancestors:
            raise TooBig(f"line {node.start_mark.line + 1}: {what} holds an alias of a node inside itself")
        elif key not in sizes:
            ancestors.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


class BoundedLoader(_BASE):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml's when built) that measures each document before building it."""

    limit: ClassVar[int] = MAX_NODES
    what: ClassVar[str] = "the document"

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        expanded_size(node, self.limit, self.what)
        return self.construct_document(node)

    def get_data(self) -> Any:
        if self.check_node():
            node = self.get_node()
            expanded_size(node, self.limit, self.what)
            return self.construct_document(node)
        return None


def load_all(text: str) -> Iterator[Any]:
    """Every document of a YAML stream, as ``yaml.safe_load_all`` gives them, each measured first;
    raises PyYAML's errors and :class:`TooBig` while iterating. Text without a ``*`` holds no
    alias, so nothing in it can repeat: it is read as it is, unmeasured (the measure costs a
    large catalog read by PyYAML about half as much again)."""
    return yaml.load_all(text, Loader=BoundedLoader if "*" in text else _BASE)
