"""Integration fixtures: a real SeaweedFS (see tests/seaweed_fixtures.py)."""

from seaweed_fixtures import seaweed, seaweed_factory

__all__ = ["seaweed", "seaweed_factory"]
