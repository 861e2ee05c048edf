"""A JSON array decoded one element at a time reads and fails exactly as ``json.loads`` does."""

from __future__ import annotations

import json

import pytest

from opscontext import jsonarray

ARRAYS = ["[]", " [ ]\n", "[1, 2 ,3]", '[{"a": [1, {"b": null}]}, "x", true]\n', '\t[\r\n"\\u00e9"]']
BROKEN = ["[1,]", "[1 2]", "[1] x", "[", "[1", "", "garbage", "[1,2]]", "\ufeff[1]", '[{"a": }]']


@pytest.mark.parametrize("text", ARRAYS)
def test_the_elements_are_those_of_json_loads(text: str) -> None:
    assert list(jsonarray.items(text)) == json.loads(text)


@pytest.mark.parametrize("text", BROKEN)
def test_a_malformed_document_fails_with_the_error_json_loads_gives(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        list(jsonarray.items(text))
    assert (got.value.msg, got.value.pos) == (expected.value.msg, expected.value.pos)


@pytest.mark.parametrize("text", ['{"data": []}', "42", '"text"', "null"])
def test_valid_json_that_is_not_an_array_is_told_apart(text: str) -> None:
    with pytest.raises(jsonarray.NotAnArray):
        list(jsonarray.items(text))


def test_elements_come_before_a_later_fault_is_met() -> None:
    seen = []
    with pytest.raises(json.JSONDecodeError):
        for item in jsonarray.items('[1, 2, {"broken": ]'):
            seen.append(item)
    assert seen == [1, 2]
