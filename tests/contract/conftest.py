"""Contract fixtures: a real SeaweedFS for the S3 implementations (see tests/seaweed_fixtures.py)."""

from seaweed_fixtures import seaweed

__all__ = ["seaweed"]
