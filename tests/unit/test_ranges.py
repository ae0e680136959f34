"""RFC 9110 ranges and conditionals: each case as the RFC words it, plus properties over any size."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.errors import RangeNotSatisfiable
from faceforge_domain.ranges import (
    MAX_RANGES,
    ByteRange,
    coalesce,
    http_date,
    if_range_holds,
    none_match,
    parse_http_date,
    parse_range,
    plan_download,
)

ETAG = '"' + "a" * 64 + '"'
MODIFIED = datetime(2026, 11, 24, 11, 2, 4, 123000, tzinfo=UTC)
NOW = MODIFIED + timedelta(days=1)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", [ByteRange(0, 9)]),
        ("bytes=10-", [ByteRange(10, 99)]),
        ("bytes=-10", [ByteRange(90, 99)]),
        ("bytes=-500", [ByteRange(0, 99)]),
        ("bytes=90-500", [ByteRange(90, 99)]),
        ("bytes=0-0,-1", [ByteRange(0, 0), ByteRange(99, 99)]),
        ("BYTES = 5-6", [ByteRange(5, 6)]),  # case and stray spaces are forgiven
        ("bytes=5-6, 200-300", [ByteRange(5, 6)]),  # unsatisfiable members are dropped
    ],
)
def test_parse_range_cases(header: str, expected: list[ByteRange] | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize(
    "header", ["bytes=", "bytes=-", "bytes=9-5", "items=0-5", "bytes=a-b", "0-5", "bytes=1-2-3", "bytes=--1"]
)
def test_syntactically_invalid_range_is_ignored(header: str) -> None:
    assert parse_range(header, 100) is None


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=200-300", "bytes=-0", "bytes=100-100,150-"])
def test_unsatisfiable_range_raises_with_size(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable) as caught:
        parse_range(header, 100)
    assert caught.value.size == 100


def test_any_range_of_empty_content_is_unsatisfiable() -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=0-", 0)


def test_too_many_ranges_are_ignored() -> None:
    header = "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(MAX_RANGES + 1))
    assert parse_range(header, 10_000) is None


@given(size=st.integers(1, 10**12), a=st.integers(0, 10**12), b=st.integers(0, 10**12))
def test_parsed_ranges_always_lie_inside_the_content(size: int, a: int, b: int) -> None:
    start, end = min(a, b), max(a, b)
    for header in (f"bytes={start}-{end}", f"bytes={start}-", f"bytes=-{end}"):
        try:
            ranges = parse_range(header, size)
        except RangeNotSatisfiable:
            assert start >= size or end == 0
            continue
        assert ranges is not None
        for r in ranges:
            assert 0 <= r.start <= r.end < size
            assert r.length == r.end - r.start + 1


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1, max_size=20))
def test_coalesce_covers_the_same_bytes_without_overlap(pairs: list[tuple[int, int]]) -> None:
    ranges = [ByteRange(min(a, b), max(a, b)) for a, b in pairs]
    merged = coalesce(ranges)
    covered = {i for r in ranges for i in range(r.start, r.end + 1)}
    assert {i for r in merged for i in range(r.start, r.end + 1)} == covered
    for left, right in itertools.pairwise(merged):
        assert left.end + 1 < right.start


def test_http_date_round_trips_at_second_precision() -> None:
    text = http_date(MODIFIED)
    assert text == "Tue, 24 Nov 2026 11:02:04 GMT"
    assert parse_http_date(text) == MODIFIED.replace(microsecond=0)
    assert parse_http_date("not a date") is None


def test_none_match_uses_weak_comparison_and_star() -> None:
    assert none_match(ETAG, ETAG)
    assert none_match(f'"x", W/{ETAG}', ETAG)
    assert none_match("*", ETAG)
    assert not none_match('"other"', ETAG)


def test_if_range_needs_an_exact_strong_etag_or_the_exact_date() -> None:
    assert if_range_holds(ETAG, ETAG, MODIFIED)
    assert not if_range_holds(f"W/{ETAG}", ETAG, MODIFIED)
    assert not if_range_holds('"other"', ETAG, MODIFIED)
    assert if_range_holds(http_date(MODIFIED), ETAG, MODIFIED)
    assert not if_range_holds(http_date(MODIFIED - timedelta(seconds=1)), ETAG, MODIFIED)


def _plan(**headers: str) -> tuple[int, list[ByteRange]]:
    plan = plan_download(size=100, etag=ETAG, last_modified=MODIFIED, now=NOW, **headers)
    return plan.status, list(plan.ranges)


def test_an_if_modified_since_in_the_future_is_ignored() -> None:
    assert _plan(if_modified_since=http_date(NOW + timedelta(days=365))) == (200, [])
    assert _plan(if_modified_since=http_date(NOW + timedelta(seconds=2))) == (200, [])
    assert _plan(if_modified_since=http_date(NOW)) == (304, [])


def test_plan_full_partial_and_not_modified() -> None:
    assert _plan() == (200, [])
    assert _plan(range_header="bytes=0-9") == (206, [ByteRange(0, 9)])
    assert _plan(range_header="bytes=junk") == (200, [])
    assert _plan(if_none_match=ETAG, range_header="bytes=0-9") == (304, [])
    assert _plan(if_modified_since=http_date(MODIFIED)) == (304, [])
    assert _plan(if_modified_since=http_date(MODIFIED - timedelta(days=1))) == (200, [])


def test_plan_ignores_range_when_if_range_fails() -> None:
    assert _plan(range_header="bytes=0-9", if_range='"stale"') == (200, [])
    assert _plan(range_header="bytes=0-9", if_range=ETAG) == (206, [ByteRange(0, 9)])


def test_plan_coalesces_overlapping_multiple_ranges() -> None:
    assert _plan(range_header="bytes=0-9,5-20") == (206, [ByteRange(0, 20)])
    assert _plan(range_header="bytes=50-59,0-9") == (206, [ByteRange(0, 9), ByteRange(50, 59)])


def test_plan_raises_for_unsatisfiable() -> None:
    with pytest.raises(RangeNotSatisfiable):
        _plan(range_header="bytes=100-")
