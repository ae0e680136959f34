"""Dates as people know them: a year, a year and month, or a day."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.timefmt import parse_partial_date


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("1990", date(1990, 1, 1), date(1990, 12, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023-02", date(2023, 2, 1), date(2023, 2, 28)),
        ("1990-05-17", date(1990, 5, 17), date(1990, 5, 17)),
    ],
)
def test_a_partial_date_names_its_first_and_last_day(text: str, first: date, last: date) -> None:
    assert parse_partial_date(text) == first
    assert parse_partial_date(text, last=True) == last


@pytest.mark.parametrize(
    "text", ["", "90", "1990-5", "1990-13", "1990-02-30", "1990/05", "1990-05-17T10:00", "last year"]
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="a year"):
        parse_partial_date(text)


@given(st.dates(min_value=date(1000, 1, 1)))
def test_a_day_a_month_and_a_year_hold_the_day(day: date) -> None:
    for text in (day.isoformat(), day.isoformat()[:7], day.isoformat()[:4]):
        assert parse_partial_date(text) <= day <= parse_partial_date(text, last=True)
