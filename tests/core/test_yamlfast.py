"""The fast YAML path gives exactly PyYAML's safe-loader values, or steps aside for PyYAML."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from opscontext import yamlfast
from opscontext.yamlfast import candidates, fast_documents, load_documents
from opscontext_connectors.backstage.wire import entities_from

REPO = Path(__file__).resolve().parents[2]
RUST = yamlfast.RUST
needs_rust = pytest.mark.skipif(RUST is None, reason="yaml-rs is not installed")

# YAML where YAML 1.1 (PyYAML) and 1.2 (yaml-rs) differ, or where only one refuses the text.
TRICKY = {
    "yes/no/on/off are booleans in 1.1": "a: yes\nb: No\nc: on\nd: OFF\ne: y\n",
    "leading-zero octal": "a: 0777\nb: 0o17\nc: 0x1F\nd: 0b101\n",
    "sexagesimal": "a: 1:30\nb: 190:20:30\nc: 1:30.5\n",
    "exponent without a dot": "a: 1e3\nb: 1.0e3\nc: 1_000\nd: 1e400\n",
    "dates and timestamps": "a: 2024-01-15\nb: 2001-12-14 21:59:43.10 -5\n",
    "a quoted date stays a string": "a: '2024-01-15'\nb: \"2001-12-14T21:59:43Z\"\n",
    "merge key": "base: &b {x: 1}\nother:\n  <<: *b\n  y: 3\n",
    "tags": "a: !!binary aGVsbG8=\nb: !!set {x, y}\nc: !!str 1\n",
    "an unknown tag is refused by PyYAML": "a: !foo bar\n",
    "a python tag is refused": "a: !!python/object/apply:os.system ['true']\n",
    "a directive": "%YAML 1.1\n---\na: yes\n",
    "a byte order mark": "\ufeffa: 1\n",
    "a control character": "a: \x01\n",
    "a tab before a comment": "a: 'x'\t# c\n",
    "a lone carriage return breaks the line": "a: b\ryes: b\r",
    "CRLF line ends": "a: b\r\nyes: b\r\nc: |\r\n  x\r\n  y\r\n",
    "CRLF line ends, nothing that differs": "a: b\r\nc: |\r\n  x\r\n  y\r\nd: 'p\r\n  q'\r\n",
    "NEL, LS and PS are line breaks in 1.1": "a: b\x85yes: b\nc: d\u2028on: 1\ne: \"f\u2029g\"\n",
    "a complex key": "? [a, b]\n: 1\n",
    "the value key": "a: =\n",
    "a quoted key then no space": 'a: ["k":yes]\n',
    "a flow mapping": "a: {x: yes}\n",
    "boolean keys": "yes: 1\non: 2\n",
    "a lone list document": "- a: 1\n- b: 2\n",
    "empty documents": "---\n---\na: 1\n...\n---\n",
    "nothing but a comment": "# nothing\n",
    "the empty stream": "",
    "duplicate keys keep the last": "a: 1\nb: 2\na: 3\n",
    "anchors and aliases": "x: &a [1, 2]\ny: *a\n",
    "an anchor defined twice": "x: &a 1\ny: &a 2\nz: *a\n",
    "anchor names PyYAML ends early": "a: &a:b x\nb: &c.d y\nc: *c.d\n",
    "an empty key": "a: 1\n: x\n",
    "block indicators in a flow sequence": "a: [|x]\nb: [>y]\n",
    "a question mark in a flow sequence": "a: [?x]\nb: [group:?x]\n",
    "a lone dash in a flow sequence": "a: [b, -]\n",
    "a pair started without a space in flow": "a: [k:[b]]\n",
    "a flow sequence over two lines": "a: [b,\n  yes]\n",
    "content after a document end marker": "a: 1\n...\nb: 2\n",
    "not YAML at all": "a: [1, 2\nb: }\n",
    "deep block nesting": "- " * 3000 + "x\n",
    "deep flow nesting": "a: " + "[" * 300 + "]" * 300 + "\n",
}


def outcome(docs: Any) -> tuple[str, str]:
    """The documents, or the kind of error raised while reading them, as comparable text."""
    try:
        return "ok", repr(list(docs))
    except yaml.YAMLError as exc:
        return "error", type(exc).__name__


def pyyaml(text: str) -> tuple[str, str]:
    return outcome(load_documents(text, fast=None))


@pytest.mark.parametrize("text", list(TRICKY.values()), ids=list(TRICKY))
def test_tricky_yaml_reads_exactly_as_pyyamls_safe_loader(text: str) -> None:
    assert outcome(load_documents(text)) == pyyaml(text)


@needs_rust
@pytest.mark.parametrize(
    "name",
    ["yes/no/on/off are booleans in 1.1", "leading-zero octal", "sexagesimal", "dates and timestamps",
     "merge key", "tags", "a control character", "a quoted key then no space", "deep block nesting",
     "an anchor defined twice", "a lone carriage return breaks the line", "CRLF line ends",
     "NEL, LS and PS are line breaks in 1.1"],
)
def test_text_where_the_parsers_differ_is_left_to_pyyaml(name: str) -> None:
    assert fast_documents(TRICKY[name]) is None


CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  labels: {}
  tags: [java, payments]
  annotations:
    backstage.io/source-location: url:https://git.example.com/payments
spec:
  type: service
  owner: group:default/team-a
  lifecycle: production
  dependsOn:
    - component:default/ledger
    - resource:default/payments-db
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
spec:
  type: team
  children: []
"""


@needs_rust
def test_a_plain_backstage_catalog_takes_the_fast_path_with_the_same_documents() -> None:
    fast = fast_documents(CATALOG)
    assert fast is not None
    assert outcome(iter(fast)) == pyyaml(CATALOG)


@needs_rust
def test_crlf_line_ends_keep_the_fast_path() -> None:
    text = TRICKY["CRLF line ends, nothing that differs"]
    assert fast_documents(text) is not None
    assert outcome(load_documents(text)) == pyyaml(text)


@needs_rust
def test_the_demo_catalog_takes_the_fast_path() -> None:
    # Prose such as "Catalog & Search" and phone numbers such as +1-555-0100 are not a reason
    # to leave a file to PyYAML.
    for path in sorted((REPO / "fixtures/demo/catalog").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert fast_documents(text) is not None, path.name
        assert outcome(load_documents(text)) == pyyaml(text)


@needs_rust
def test_numbers_that_read_the_same_in_both_keep_the_fast_path() -> None:
    text = CATALOG.replace("  type: service", "  type: service\n  tier: 1\n  weight: 0.5\n  on-call: x")
    assert candidates("\n" + text) == {"1", "0.5"}
    assert fast_documents(text) is not None


def test_catalog_entities_are_the_same_whichever_parser_read_them() -> None:
    # Backstage reads these as YAML 1.2 strings; opscontext has always read them as PyYAML does.
    text = CATALOG.replace("  labels: {}", "  labels:\n    pci: yes\n    tier: 0777\n    window: 1:30")
    fast, slow = entities_from(load_documents(text)), entities_from(load_documents(text, fast=None))
    assert fast == slow
    assert fast[0][0].metadata.labels == {"pci": "true", "tier": "511", "window": "90"}


@needs_rust
def test_the_deepest_nesting_let_through_parses_on_a_small_thread_stack() -> None:
    # ~270 levels: indentation, a run of `- `, then flow sequences. A stack overflow in yaml-rs
    # would kill the test process, not fail an assertion: the run itself is the check.
    deep = "".join(" " * (2 * i) + "- k:\n" for i in range(74))
    deep += " " * 148 + "- " * 59 + "[" * 59 + "x" + "]" * 59 + "\n"
    found: list[Any] = []
    old = threading.stack_size(512 * 1024)
    try:
        worker = threading.Thread(target=lambda: found.append(fast_documents(deep)))
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old)
    assert found[0] is not None
    assert outcome(iter(found[0])) == pyyaml(deep)


@needs_rust
@pytest.mark.parametrize(
    "text",
    [
        "".join(" " * i + "k:\n" for i in range(151)) + " " * 151 + "v\n",  # deep indentation
        "a: " + "[" * 60 + "]" * 60 + "\n",  # 60 flow levels on a line
        "a:\n" + "- " * 60 + "x\n",  # 60 compact sequences in a row
        "a: " + "x" * 1000 + "\n",  # a line of 1,000 characters
    ],
    ids=["indentation", "flow", "compact", "a long line"],
)
def test_text_that_may_nest_deeply_is_left_to_pyyaml(text: str) -> None:
    assert fast_documents(text) is None
    assert outcome(load_documents(text)) == pyyaml(text)


@needs_rust
def test_a_long_line_of_prose_keeps_the_fast_path() -> None:
    text = CATALOG.replace("  labels: {}", "  description: " + "word " * 150)
    assert fast_documents(text) is not None
    assert outcome(load_documents(text)) == pyyaml(text)


def test_without_yaml_rs_pyyaml_parses() -> None:
    assert fast_documents(CATALOG, loads=None) is None
    assert outcome(load_documents(CATALOG, fast=lambda t: fast_documents(t, loads=None))) == pyyaml(
        CATALOG
    )


class PanicException(BaseException):
    """What a panic inside yaml-rs reaches Python as."""


@pytest.mark.parametrize("failure", [ValueError("bad"), PanicException("thread panicked")])
def test_when_the_fast_parser_fails_pyyaml_parses(failure: BaseException) -> None:
    def broken(text: str) -> Any:
        raise failure

    assert fast_documents(CATALOG, loads=broken) is None
    assert outcome(load_documents(CATALOG, fast=lambda t: fast_documents(t, loads=broken))) == (
        pyyaml(CATALOG)
    )


def test_an_interrupt_inside_the_fast_parser_is_not_swallowed() -> None:
    def interrupted(text: str) -> Any:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fast_documents("a: 1\n", loads=interrupted)


def test_documents_are_let_go_once_read() -> None:
    docs: list[Any] = [{"a": 1}, None, {"b": 2}]
    it = load_documents("", fast=lambda _: docs)
    assert next(it) == {"a": 1}
    assert docs[0] is None
    assert list(it) == [{"b": 2}]
    assert docs == [None, None, None]


@pytest.mark.parametrize("path", sorted(
    p.relative_to(REPO).as_posix()
    for pattern in ("fixtures/**/*.yaml", "fixtures/**/*.yml", "tests/**/*.yaml", "tests/**/*.yml")
    for p in REPO.glob(pattern)
))
def test_every_yaml_file_of_the_repository_reads_the_same(path: str) -> None:
    text = (REPO / path).read_text(encoding="utf-8")
    assert outcome(load_documents(text)) == pyyaml(text)


# Streams built from scalars that differ between the parsers, in every place a scalar can stand
# (keys, values, sequences, flow lists, quoted, after anchors), mostly from ones that do not.
BENIGN = ["foo", "team-0", "group:default/x", "http://x:80/y", "1", "1.5", "-2", "true", "null",
          "~", "'yes'", '"0777"', "'2024-01-15'", "a#b", "x # c", "1 2", "yes please", "add-on",
          "v1.2.3", "10.0.0.1", "[a, b]", "[1, 2.5]", "[]", "{}", "|\n    yes", ">\n    0777",
          "&x foo", "&y bar", '"a\\tb"', "été"]
RISKY = [*(v for t in list(TRICKY.values())[:6] for v in t.split("\n")[0][3:].split(", ")),
         "yes", "off", "0777", "1:30", "1e3", "2024-01-15", "=", "&x yes", "[yes]", "[0777, 1]",
         '["k":on]', "'a':1", "- yes", ".inf", "12345678901234567890", "@x", "!foo bar", "<<"]
KEYS = ["a", "name", "1", "~", "x y"]


def random_stream(r: random.Random) -> str:
    def scalar() -> str:
        return r.choice(RISKY if r.random() < 0.04 else BENIGN)

    def node(depth: int) -> str:
        roll = r.random()
        if depth > 2 or roll < 0.5:
            return scalar()
        pad = "  " * depth
        if roll < 0.75:
            return "".join(f"\n{pad}- {node(depth + 1)}" for _ in range(r.randint(1, 3)))
        return "".join(f"\n{pad}{r.choice(KEYS)}: {node(depth + 1)}" for _ in range(r.randint(1, 3)))

    docs = ("".join(f"{r.choice(KEYS)}: {node(1)}\n" for _ in range(r.randint(1, 4)))
            for _ in range(r.randint(1, 3)))
    text = "---\n".join(docs)
    return text.replace("\n", "\r\n") if r.random() < 0.1 else text


def test_random_streams_read_exactly_as_pyyaml_reads_them() -> None:
    r = random.Random(20261206)
    fast = 0
    for _ in range(600):
        text = random_stream(r)
        assert outcome(load_documents(text)) == pyyaml(text), text
        fast += fast_documents(text) is not None
    if RUST is not None:  # the comparison exercised the fast path, not only the fallback
        assert fast > 200


# Character-level damage to a real catalog: what PyYAML refuses must stay refused, and what it
# reads must read the same (indicators in odd places, flow sequences, anchors, markers, breaks).
DAMAGE = [*" :-?[]{},#&*!|>'\"%@`\n\t\r.0123456789~=<\\/_x", ": ", "- ", "\n  ", "\n- ", " #",
          "---\n", "...\n", "&a ", "*a", "yes", "0777", "1:30", ":?", "[", "]"]


def test_damaged_catalogs_read_exactly_as_pyyaml_reads_them() -> None:
    base = "".join(p.read_text() for p in sorted((REPO / "tests/connectors/data/backstage").rglob("*.y*ml")))
    r = random.Random(6)
    fast = 0
    for _ in range(400):
        text = base
        for _ in range(r.randint(1, 4)):
            at = r.randrange(len(text) + 1)
            cut = 0 if r.random() < 0.7 else r.randint(1, 3)
            text = text[:at] + (r.choice(DAMAGE) if not cut else "") + text[at + cut:]
        assert outcome(load_documents(text)) == pyyaml(text), text
        fast += fast_documents(text) is not None
    if RUST is not None:
        assert fast > 100
