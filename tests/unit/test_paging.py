"""Paging rules: limit bounds, offset, and opaque cursors that round-trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.errors import Invalid
from faceforge_domain.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    Cursor,
    PageRequest,
    decode_cursor,
    encode_cursor,
)

values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=40),
    st.floats(allow_nan=False),
)


@given(sort=st.text(min_size=1, max_size=20), value=values, last_id=st.text(max_size=64))
def test_cursor_round_trips_and_is_url_safe(sort: str, value: object, last_id: str) -> None:
    cursor = Cursor(sort=sort, value=value, last_id=last_id)
    token = encode_cursor(cursor)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_cursor(token, sort) == cursor


def test_cursor_for_another_sort_is_refused() -> None:
    token = encode_cursor(Cursor(sort="created_at", value="2026", last_id="x"))
    with pytest.raises(Invalid) as caught:
        decode_cursor(token, "display_name")
    assert caught.value.errors[0].field == "cursor"
    assert "different sort" in caught.value.message


@pytest.mark.parametrize("token", ["", "!!!", "bm90IG1zZ3BhY2s", "a"])
def test_damaged_cursor_is_a_validation_error_naming_the_cursor(token: str) -> None:
    with pytest.raises(Invalid) as caught:
        decode_cursor(token, "created_at")
    assert [e.field for e in caught.value.errors] == ["cursor"]


def test_defaults_match_the_api_contract() -> None:
    request = PageRequest()
    assert (request.limit, request.offset, request.cursor) == (DEFAULT_LIMIT, 0, None)
    assert (DEFAULT_LIMIT, MAX_LIMIT) == (50, 200)


@given(st.integers(min_value=-1000, max_value=1000))
def test_limit_is_accepted_only_from_1_to_200(limit: int) -> None:
    if 1 <= limit <= MAX_LIMIT:
        assert PageRequest(limit=limit).limit == limit
    else:
        with pytest.raises(Invalid) as caught:
            PageRequest(limit=limit)
        assert [e.field for e in caught.value.errors] == ["limit"]


@pytest.mark.parametrize("offset", [MAX_OFFSET + 1, 2**63, 10**30])
def test_an_offset_past_the_largest_is_a_validation_error_naming_the_offset(offset: int) -> None:
    with pytest.raises(Invalid) as caught:
        PageRequest(offset=offset)
    assert [e.field for e in caught.value.errors] == ["offset"]
    assert str(MAX_OFFSET) in caught.value.errors[0].message


def test_the_largest_offset_is_accepted() -> None:
    assert PageRequest(offset=MAX_OFFSET).offset == MAX_OFFSET


def test_every_broken_rule_is_reported_at_once() -> None:
    with pytest.raises(Invalid) as caught:
        PageRequest(limit=0, offset=-1)
    assert {e.field for e in caught.value.errors} == {"limit", "offset"}


def test_cursor_and_offset_cannot_be_combined() -> None:
    with pytest.raises(Invalid) as caught:
        PageRequest(offset=5, cursor="abc")
    assert [e.field for e in caught.value.errors] == ["cursor"]
