"""A real small disk for the tests that fill one: a tmpfs mounted for the test and unmounted after.

Mounting needs root (the test machines run as root); elsewhere these tests are skipped, saying why.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FILL_CHUNK = 64 * 1024


@contextmanager
def small_disk(where: Path, size: str) -> Iterator[Path]:
    """A fresh tmpfs of ``size`` (``mount -o size=``) at ``where`` for the block's length."""
    if os.geteuid() != 0:
        pytest.skip("filling a real disk needs a small tmpfs, and mounting one needs root")
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a small tmpfs is not permitted here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=True)  # still in use: detach it


def fill(disk: Path, *, leave: int = 0) -> Path:
    """Take the disk's free space, all but about ``leave`` bytes, with a filler file; remove it to
    free the disk again."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while (room := os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize - leave) > 0:
            os.write(fd, b"\0" * min(FILL_CHUNK, room))
    except OSError:  # full before the count said so: that is full enough
        pass
    finally:
        os.close(fd)
    return filler


def files_under(root: Path) -> list[str]:
    """Every file below ``root``, relative to it."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
