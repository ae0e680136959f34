"""Free-form JSON a client stores is bounded in size and depth, and pages are bounded in bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.errors import Invalid
from faceforge_domain.jsonlimits import MAX_JSON_BYTES, MAX_JSON_DEPTH, json_depth, json_problem, require_json
from faceforge_domain.mergepatch import merge_patch
from faceforge_domain.paging import PAGE_BYTE_BUDGET, within_budget


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = {"a": value}
    return value


@given(st.integers(min_value=0, max_value=200))
def test_depth_counts_levels_without_recursion(depth: int) -> None:
    assert json_depth(nested(depth)) == min(depth, MAX_JSON_DEPTH + 1)


def test_a_value_deeper_than_the_limit_is_refused_naming_the_field() -> None:
    assert json_problem(nested(MAX_JSON_DEPTH)) is None
    with pytest.raises(Invalid) as caught:
        require_json("plugin_data", nested(MAX_JSON_DEPTH + 1))
    assert caught.value.errors[0].field == "plugin_data"
    assert str(MAX_JSON_DEPTH) in caught.value.errors[0].message


def test_a_value_larger_than_the_limit_is_refused() -> None:
    assert json_problem({"x": "a" * (MAX_JSON_BYTES - 100)}) is None
    assert "KiB" in (json_problem({"x": "a" * MAX_JSON_BYTES}) or "")


def test_a_nesting_far_past_the_stack_is_refused_not_a_recursion_error() -> None:
    assert json_problem(nested(100_000)) is not None
    with pytest.raises(Invalid):
        merge_patch({}, nested(100_000))


def test_a_page_stops_at_its_byte_budget_but_keeps_at_least_one_item() -> None:
    big = "x" * (PAGE_BYTE_BUDGET // 3)
    assert len(within_budget([big] * 10)) == 2
    assert within_budget(["y" * (PAGE_BYTE_BUDGET * 2)]) == ["y" * (PAGE_BYTE_BUDGET * 2)]
    assert within_budget(["small"] * 10) == ["small"] * 10
