"""Text people read: a name shows something and hides nothing; a search holds no control character."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.text import (
    _INVISIBLE_RANGES,
    INVISIBLE_EXTRA,
    NAME_PATTERN,
    NAME_RULE,
    SEARCH_PATTERN,
    search_problem,
    text_problem,
)

INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def test_the_invisible_ranges_are_this_pythons_unicode_categories() -> None:
    listed = {code for start, end in _INVISIBLE_RANGES for code in range(start, end + 1)}
    by_category = {
        code for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) in INVISIBLE_CATEGORIES
    }
    assert listed == by_category | INVISIBLE_EXTRA


@pytest.mark.parametrize(
    "name",
    [
        "\u200b",
        "\u200b\u200c\u200d",
        "   ",
        "\ufeff",
        "\u3164",
        "a\x00b",
        "line\nbreak",
        "esc\x1b[31m",
        "x\x7f",
    ],
)
def test_names_without_a_visible_character_or_with_a_control_character_are_refused(name: str) -> None:
    assert text_problem(name) == NAME_RULE
    assert not re.search(NAME_PATTERN, name) or name.endswith("\n")


@pytest.mark.parametrize("name", ["Ada", " Ada ", "Zoë", "李小龙", "a\u200bb", "🙂"])
def test_ordinary_names_are_accepted(name: str) -> None:
    assert text_problem(name) is None
    assert re.search(NAME_PATTERN, name)


def test_free_text_may_hold_line_breaks_and_tabs_but_no_other_control() -> None:
    assert text_problem("first line\n\tsecond", multiline=True) is None
    assert text_problem("a\x00b", multiline=True) == NAME_RULE


@given(st.text())
def test_the_pattern_and_the_check_agree(text: str) -> None:
    """The HTTP schema states NAME_PATTERN; the domain checks text_problem: one rule, two spellings."""
    if not text.endswith("\n"):  # Python's $ also matches before a final newline; the check refuses it
        assert (re.search(NAME_PATTERN, text) is not None) == (text_problem(text) is None)


def test_a_search_with_a_nul_is_refused_and_ordinary_text_is_not() -> None:
    assert search_problem("\x00") is not None
    assert search_problem("ab\x00") is not None
    assert search_problem("Ada Lovelace") is None
    assert re.search(SEARCH_PATTERN, "Ada")
    assert not re.search(SEARCH_PATTERN, "a\x00")
