"""Helpers the resumable-upload tests of several layers share: big random files, persisted offsets."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

MIB = 1024 * 1024


def random_file(path: Path, size: int) -> str:
    """Write ``size`` random bytes (a multiple of 4 MiB) to ``path``; returns their SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(size // (4 * MIB)):
            block = os.urandom(4 * MIB)
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def persisted_offset(home: Path) -> int:
    """The furthest offset any upload under ``home`` has made durable (what a crash would keep)."""
    offsets = [0]
    for state in (home / "tmp" / "uploads").glob("*/state.json"):
        try:
            offsets.append(json.loads(state.read_text())["record"]["offset"])
        except (OSError, ValueError):  # replaced while read: the next look sees it
            continue
    return max(offsets)
