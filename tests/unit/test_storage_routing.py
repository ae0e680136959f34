"""Routing rules: kind map (exact, then the longest glob) > size threshold > default provider."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from faceforge_adapters.config import RoutingConfig
from faceforge_adapters.storage.routing import RoutingRules

providers = st.sampled_from(["fs", "s3"])
kinds = st.text(alphabet="abcdefghij.", min_size=1, max_size=12)


def test_exact_kind_beats_globs_and_the_longest_glob_wins() -> None:
    rules = RoutingRules(kind_map={"video.*": "s3", "video.raw.*": "fs", "video.clip": "fs", "*": "s3"})
    assert rules.for_kind("video.clip") == "fs"
    assert rules.for_kind("video.raw.4k") == "fs"
    assert rules.for_kind("video.other") == "s3"
    assert rules.for_kind("image") == "s3"
    assert rules.for_kind(None) is None


def test_the_kind_map_beats_the_size_threshold() -> None:
    rules = RoutingRules(kind_map={"lora": "fs"}, s3_min_size_bytes=10)
    assert rules.decide("lora", 10**9) == "fs"
    assert rules.decide("image", 10**9) == "s3"
    assert rules.decide("image", 9) == "fs"


def test_an_unknown_size_leaves_the_decision_to_the_staged_file() -> None:
    rules = RoutingRules(s3_min_size_bytes=100)
    assert rules.decide("image", None) is None
    assert rules.decide("image", 100) == "s3"


def test_rules_come_from_the_config_section() -> None:
    config = RoutingConfig(default_provider="s3", kind_map={"video.*": "fs"}, s3_min_size_bytes=5)
    rules = RoutingRules.from_config(config)
    assert (rules.default_provider, dict(rules.kind_map), rules.s3_min_size_bytes) == (
        "s3",
        {"video.*": "fs"},
        5,
    )


@given(
    default=providers,
    kind_map=st.dictionaries(kinds, providers, max_size=4),
    threshold=st.none() | st.integers(min_value=0, max_value=1000),
    kind=st.none() | kinds,
    size=st.integers(min_value=0, max_value=2000),
)
def test_a_known_size_always_decides_and_follows_the_precedence(
    default: str, kind_map: dict[str, str], threshold: int | None, kind: str | None, size: int
) -> None:
    rules = RoutingRules(default_provider=default, kind_map=kind_map, s3_min_size_bytes=threshold)
    chosen = rules.decide(kind, size)
    by_kind = rules.for_kind(kind)
    if by_kind is not None:
        assert chosen == by_kind
    elif threshold is not None and size >= threshold:
        assert chosen == "s3"
    else:
        assert chosen == default
    if kind is not None and kind in kind_map:
        assert chosen == kind_map[kind]
