"""Retention: which snapshots to prune so that ``keep`` remain, and which blobs the kept ones need."""

from __future__ import annotations

from collections.abc import Sequence

from faceforge_domain.backup.models import Manifest


def snapshots_to_prune(snapshots: Sequence[Manifest], keep: int) -> list[Manifest]:
    """The oldest complete snapshots beyond the newest ``keep`` (``snapshots`` is oldest first)."""
    if keep < 1:
        raise ValueError("keep must be at least 1: pruning never removes the last snapshot")
    return list(snapshots[: max(0, len(snapshots) - keep)])


def blobs_needed(snapshots: Sequence[Manifest]) -> set[str]:
    """Every blob some snapshot names."""
    return {blob.sha256 for manifest in snapshots for blob in manifest.blobs}
