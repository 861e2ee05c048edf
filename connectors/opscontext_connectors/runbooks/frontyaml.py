"""Front matter read with a budget: an alias may repeat a node, never multiply it past reason.

YAML aliases (``*name``) repeat an anchored node by reference. PyYAML builds the repeats as
shared objects, so a ~600-byte "billion laughs" (nine anchors, each a list of nine aliases of
the one before) parses in microseconds into a value that stands for 9^9 strings, and anything
that walks it (``str()``, validation, an error message quoting it) runs for minutes and takes
gigabytes. Front matter is a title and a few short lists, so the composed node graph is measured
before a value is built: counted with every alias expanded (each distinct node once, memoised,
so the count itself is linear in the text), and refused past :data:`MAX_NODES`. A node that
contains an alias of itself is refused too. The count is structural: it does not depend on
what the values are or on which keys the reader later looks at.
"""

from __future__ import annotations

from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

# A runbook's front matter is tens of values; 10,000 leaves room for a very long list of
# alerts or services and none for an alias bomb (9^9 values in ~600 bytes).
MAX_NODES = 10_000

_BASE: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FrontMatterTooBig(ValueError):
    """Front matter whose aliases expand it past :data:`MAX_NODES` values, or into itself."""


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def expanded_size(root: yaml.Node, limit: int = MAX_NODES) -> int:
    """How many nodes ``root`` holds once every alias is expanded; raises
    :class:`FrontMatterTooBig` as soon as that passes ``limit`` or a node contains itself."""
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
                raise FrontMatterTooBig(
                    f"line {node.start_mark.line + 1}: front matter expands to more than {limit:,} values, "
                    "each alias (*name) counted in full; it needs a title and a few short lists"
                )
            sizes[key] = size
        elif key in ancestors:
            line = node.start_mark.line + 1
            raise FrontMatterTooBig(f"line {line}: front matter holds an alias of a node inside itself")
        elif key not in sizes:
            ancestors.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


class BoundedLoader(_BASE):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml's when built) that measures a document before building it."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        expanded_size(node)
        return self.construct_document(node)


class _BoundedYAML(YAMLHandler):
    """python-frontmatter's YAML handler (same delimiters and detection) with the bounded loader."""

    def load(self, fm: str, **kwargs: object) -> Any:
        return yaml.load(fm, Loader=BoundedLoader)


# python-frontmatter's handlers in its order, its YAML one replaced (JSON and TOML have no aliases).
HANDLERS = [_BoundedYAML() if isinstance(h, YAMLHandler) else h for h in frontmatter.handlers]


def parse(text: str) -> tuple[dict[str, object], str]:
    """Front matter and body of a Markdown file, as ``frontmatter.parse`` gives them, but with
    YAML front matter read by :class:`BoundedLoader`. YAML errors and :class:`FrontMatterTooBig`
    propagate."""
    text = text.strip()  # as frontmatter.parse does before it detects the format
    handler = frontmatter.detect_format(text, HANDLERS)
    if handler is None:
        return {}, text
    return frontmatter.parse(text, handler=handler)
