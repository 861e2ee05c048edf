"""Runbook front matter read with a budget (:mod:`opscontext.yamlbound`).

Front matter is a title and a few short lists, so its budget is far below a data file's: past
:data:`MAX_NODES` values, every alias (``*name``) counted in full, the file is refused (an alias
bomb of ~600 bytes stands for 9^9 values) and named, and the other runbooks are served.
"""

from __future__ import annotations

from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from opscontext import yamlbound
from opscontext.yamlbound import TooBig

# A runbook's front matter is tens of values; 10,000 leaves room for a very long list of
# alerts or services and none for an alias bomb.
MAX_NODES = 10_000
_HINT = "; it needs a title and a few short lists"


class FrontMatterTooBig(TooBig):
    """Front matter whose aliases expand it past :data:`MAX_NODES` values, or into itself."""


def _refused(exc: TooBig) -> FrontMatterTooBig:
    return FrontMatterTooBig(f"{exc}{_HINT if 'expands' in str(exc) else ''}")


class BoundedLoader(yamlbound.BoundedLoader):
    """The bounded safe loader with front matter's budget."""

    limit = MAX_NODES
    what = "front matter"

    def get_single_data(self) -> Any:
        try:
            return super().get_single_data()
        except TooBig as exc:
            raise _refused(exc) from None


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
