"""Wire timestamps: RFC 3339, UTC, milliseconds, and a lossless round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.timefmt import format_timestamp, parse_timestamp, truncate_to_millis

aware = st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]),
)


def test_format_matches_the_documented_example() -> None:
    moment = datetime(2026, 11, 24, 11, 2, 4, 123456, tzinfo=UTC)
    assert format_timestamp(moment) == "2026-11-24T11:02:04.123Z"


def test_other_offsets_are_converted_to_utc() -> None:
    moment = datetime(2026, 11, 24, 12, 0, 0, tzinfo=timezone(timedelta(hours=1)))
    assert format_timestamp(moment) == "2026-11-24T11:00:00.000Z"


@given(aware)
def test_round_trip_keeps_the_instant_to_the_millisecond(moment: datetime) -> None:
    text = format_timestamp(moment)
    assert len(text) == 24
    assert text.endswith("Z")
    assert parse_timestamp(text) == truncate_to_millis(moment.astimezone(UTC))


def test_naive_datetimes_are_refused_both_ways() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_timestamp("2026-01-01T00:00:00")


def test_parse_accepts_lowercase_z_and_offsets() -> None:
    assert parse_timestamp("2026-01-01t00:00:00.5z") == datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)
    assert parse_timestamp("2026-01-01T02:00:00+02:00") == datetime(2026, 1, 1, tzinfo=UTC)
