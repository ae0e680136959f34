"""Semantic versions and ranges: precedence by the spec, npm-style ranges, checked with hypothesis."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.plugins.semver import (
    SemverError,
    Version,
    parse_range,
    parse_version,
    satisfies,
)

numbers = st.integers(min_value=0, max_value=50)
identifiers = st.one_of(
    st.integers(min_value=0, max_value=20),
    st.from_regex(r"[a-z][a-z0-9-]{0,5}", fullmatch=True),
)
releases = st.builds(Version, numbers, numbers, numbers)
versions = st.builds(
    Version,
    numbers,
    numbers,
    numbers,
    st.lists(identifiers, max_size=3).map(tuple),
    st.lists(st.from_regex(r"[a-z0-9]{1,4}", fullmatch=True), max_size=2).map(tuple),
)


@given(versions)
def test_a_version_round_trips_through_its_text(version: Version) -> None:
    assert parse_version(str(version)) == version
    assert str(parse_version(str(version))) == str(version)


@given(versions, versions)
def test_precedence_ignores_build_metadata_and_puts_releases_after_prereleases(
    a: Version, b: Version
) -> None:
    if a.core != b.core:
        assert (a < b) == (a.core < b.core)
    elif a.prerelease and not b.prerelease:
        assert a < b
    elif not a.prerelease and not b.prerelease:
        assert a == b


def test_precedence_follows_the_spec_example() -> None:
    chain = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "2.0.0",
    ]
    parsed = [parse_version(text) for text in chain]
    assert all(a < b for a, b in itertools.pairwise(parsed))
    assert parse_version("1.0.0+build.5") == parse_version("1.0.0")


@pytest.mark.parametrize("text", ["1", "1.2", "01.2.3", "1.2.3-", "1.2.3-01", "1.2.3.4", "a.b.c", ""])
def test_malformed_versions_are_refused(text: str) -> None:
    with pytest.raises(SemverError):
        parse_version(text)


@given(releases)
def test_caret_admits_the_version_itself(version: Version) -> None:
    assert parse_range(f"^{version}").contains(version)
    assert parse_range(f"~{version}").contains(version)
    assert parse_range(f"={version}").contains(version)
    assert parse_range("*").contains(version)
    assert parse_range("").contains(version)


@given(releases, releases, releases)
def test_an_explicit_interval_matches_exactly_the_versions_inside_it(
    low: Version, high: Version, version: Version
) -> None:
    assert parse_range(f">={low} <{high}").contains(version) == (low <= version < high)
    assert parse_range(f">{low} <={high}").contains(version) == (low < version <= high)


@given(releases, releases, releases)
def test_alternatives_are_a_union(a: Version, b: Version, version: Version) -> None:
    either = parse_range(f"^{a} || ^{b}").contains(version)
    assert either == (parse_range(f"^{a}").contains(version) or parse_range(f"^{b}").contains(version))


@given(releases)
def test_caret_stops_before_the_next_breaking_version(version: Version) -> None:
    caret = parse_range(f"^{version}")
    if version.major:
        assert not caret.contains(Version(version.major + 1, 0, 0))
        assert caret.contains(Version(version.major, version.minor + 1, 0))
    elif version.minor:
        assert not caret.contains(Version(0, version.minor + 1, 0))
        assert caret.contains(Version(0, version.minor, version.patch + 1))
    else:
        assert not caret.contains(Version(0, 0, version.patch + 1))


@pytest.mark.parametrize(
    ("version", "range_text", "expected"),
    [
        ("1.2.3", "^1.2.0", True),
        ("2.0.0", "^1.2.0", False),
        ("0.1.5", "^0.1.0", True),
        ("0.2.0", "^0.1.0", False),
        ("1.2.9", "~1.2.3", True),
        ("1.3.0", "~1.2.3", False),
        ("1.9.0", "1.x", True),
        ("2.0.0", "1.x", False),
        ("1.4.9", "1.2.3 - 1.4", True),
        ("1.5.0", "1.2.3 - 1.4", False),
        ("0.1.0", ">=0.1.0 <1.0.0", True),
        ("3.1.0", "1.x || >=3", True),
        ("2.0.0-beta.1", "^1.0.0", False),
        ("2.0.0-beta.1", ">=2.0.0-beta.0", True),
        ("2.0.1-beta.1", ">=2.0.0-beta.0", False),
        ("1.2.3", "> = 1.2", True),
    ],
)
def test_ranges_follow_the_npm_conventions(version: str, range_text: str, expected: bool) -> None:
    assert satisfies(version, range_text) is expected


@pytest.mark.parametrize("text", [">=1.2.3,<2", "^", ">=x.1", "1.2.3 - ", "~>1.2", "1.x.3"])
def test_malformed_ranges_are_refused(text: str) -> None:
    with pytest.raises(SemverError):
        parse_range(text)
