"""An alias bomb ("billion laughs") in any YAML a source reads is refused, named, and costs no
more than reading its few hundred bytes: catalog files on PyYAML's path, escalation policies,
OpenSLO documents. Runbook front matter has its own, smaller budget (test_runbooks.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from opscontext.errors import SourceDataError
from opscontext.registry import ConnectorContext
from opscontext.yamlbound import MAX_NODES, TooBig, expanded_size, load_all
from opscontext.yamlfast import load_documents
from opscontext_connectors.escalation import EscalationConfig, EscalationConnector
from opscontext_connectors.openslo import OpenSlo, OpenSloConfig

pytestmark = pytest.mark.anyio


def bomb(key: str = "a", depth: int = 9) -> str:
    """Nine anchors, each a list of nine aliases of the one before: 9^9 values in ~600 bytes."""
    lines = ['l0: &l0 "lol"']
    for i in range(1, depth):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    lines.append(f"{key}: *l{depth - 1}")
    return "\n".join(lines) + "\n"


def bounded(call: Callable[[], Any], seconds: float = 60.0) -> Any:
    """``call()`` in a thread: a regression that expands the bomb fails here instead of hanging
    the suite (no wall-clock assert: a pass takes milliseconds, a failure is a failure)."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = call()
        except BaseException as exc:  # handed back to the test
            out["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the bomb was expanded"
    if "error" in out:
        raise out["error"]
    return out.get("value")


def test_the_count_expands_aliases_but_walks_each_node_once() -> None:
    node = yaml.compose(bomb(depth=5))  # 9^4 strings under the last anchor, ~60 nodes written
    assert expanded_size(node, limit=100_000) > 9**4
    with pytest.raises(TooBig, match="expands to more than 1,000 values"):
        expanded_size(node, limit=1_000)
    ordinary = "base: &b {owner: payments}\nservices: [{<<: *b, name: a}, {<<: *b, name: b}]\n"
    assert list(load_all(ordinary)) == [yaml.safe_load(ordinary)], "ordinary aliases still read"


def test_a_node_holding_an_alias_of_itself_is_refused() -> None:
    with pytest.raises(TooBig, match="alias of a node inside itself"):
        list(load_all("a: &a [1, *a]\n"))


def test_a_catalog_file_on_the_pyyaml_path_refuses_a_bomb() -> None:
    text = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\n" + bomb("spec")
    with pytest.raises(TooBig, match=f"more than {MAX_NODES:,} values"):
        bounded(lambda: list(load_documents(text, fast=None)))


async def test_an_escalation_file_with_a_bomb_fails_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "escalation.yaml"
    path.write_text(bomb("policies"))
    source = EscalationConnector(ConnectorContext(name="esc", config=EscalationConfig(type="escalation", path=path)))
    with pytest.raises(SourceDataError, match=r"escalation.yaml: line \d+: the document expands to more than"):
        await source.escalation_policies()


async def test_an_openslo_file_with_a_bomb_is_left_out_and_named(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(bomb("spec"))
    source = OpenSlo(ConnectorContext(name="slos", config=OpenSloConfig(type="openslo", path=tmp_path)))
    with pytest.raises(SourceDataError) as info:  # nothing usable is left: failed, with the reason
        bounded(lambda: __import__("anyio").run(source.slos))
    assert "bomb.yaml" in str(info.value) and "expands to more than" in str(info.value)
