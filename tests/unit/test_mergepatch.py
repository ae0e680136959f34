"""JSON merge patch (RFC 7396): the examples from the RFC and properties over random JSON."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.mergepatch import merge_patch

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=12,
)
objects = st.dictionaries(st.text(max_size=3), json_values, max_size=4)


def diff(source: Any, target: Any) -> Any:
    """A merge patch that turns ``source`` into ``target`` (the inverse the properties check against)."""
    if not (isinstance(source, dict) and isinstance(target, dict)):
        return target
    patch = {key: None for key in source if key not in target}
    for key, value in target.items():
        if key not in source or source[key] != value:
            patch[key] = diff(source.get(key), value)
    return patch


def without_nulls(value: Any) -> Any:
    """What a patch's content becomes once applied: object members that are null are dropped."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    return value


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_rfc_7396_examples(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result


@given(objects, objects)
def test_patch_made_by_diff_turns_source_into_target(source: dict[str, Any], target: dict[str, Any]) -> None:
    clean = without_nulls(target)
    assert merge_patch(source, diff(source, clean)) == clean


@given(objects, objects)
def test_applying_twice_changes_nothing_more(target: dict[str, Any], patch: dict[str, Any]) -> None:
    once = merge_patch(target, patch)
    assert merge_patch(once, patch) == once


@given(objects, objects)
def test_only_touched_keys_change_and_inputs_are_untouched(
    target: dict[str, Any], patch: dict[str, Any]
) -> None:
    before_target, before_patch = copy.deepcopy(target), copy.deepcopy(patch)
    result = merge_patch(target, patch)
    assert (target, patch) == (before_target, before_patch)
    for key in target.keys() - patch.keys():
        assert result[key] == target[key]
    for key, value in patch.items():
        if value is None:
            assert key not in result
        elif not isinstance(value, dict):
            assert result[key] == without_nulls(value)
