"""Temporary files by owner: each Core process keeps its own in ``tmp/<owner id>/``.

The owner id is the process's lock-file name (``joblease.LockFileLiveness``, ``core-<pid>-<random>``).
The operating system drops the lock when the process dies, even on SIGKILL, so a start-up knows for
certain which folders belong to dead processes and removes them at once, while a live process sharing
the home (a server beside a CLI command) keeps its own. ``faceforge doctor`` reports the same set.

Inside a process folder: half-written uploads (``upload-*.part``), S3 staging (``stage-*.part``) and
ExifTool staging folders (``exiftool/batch-*``). Resumable uploads (``tmp/uploads/``) are not
temporary: they outlive their process on purpose. Loose ``upload-*.part``, ``stage-*.part`` and
``exiftool/`` straight under ``tmp/`` are from versions before owner folders: no process owns them.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import msgspec

OWNER_PREFIX = "core-"
UNOWNED = ("upload-*.part", "stage-*.part", "exiftool")

Alive = Callable[[str], bool]


class Leftovers(msgspec.Struct, kw_only=True):
    """What dead processes left in ``tmp/``: how many entries and the bytes they hold."""

    entries: int
    bytes: int


def process_tmp(tmp_dir: Path, owner_id: str) -> Path:
    """The folder a process keeps its temporary files in (made by whoever first writes there)."""
    return tmp_dir / owner_id


def leftovers(tmp_dir: Path, alive: Alive) -> list[Path]:
    """Folders of processes no longer alive, and the unowned entries of earlier versions."""
    if not tmp_dir.is_dir():
        return []
    found = []
    for path in sorted(tmp_dir.iterdir()):
        if path.name.startswith(OWNER_PREFIX) and path.is_dir() and not path.is_symlink():
            if not alive(path.name):
                found.append(path)
        elif any(fnmatch.fnmatchcase(path.name, pattern) for pattern in UNOWNED):
            found.append(path)
    return found


def entry_size(path: Path) -> int:
    """The bytes a tmp entry holds (a folder: every file in it)."""
    if path.is_file() or path.is_symlink():
        return path.lstat().st_size
    total = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            with contextlib.suppress(OSError):  # removed meanwhile
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def leftover_usage(tmp_dir: Path, alive: Alive) -> Leftovers:
    found = leftovers(tmp_dir, alive)
    return Leftovers(entries=len(found), bytes=sum(entry_size(path) for path in found))


def sweep_leftovers(tmp_dir: Path, alive: Alive) -> list[Path]:
    """Remove what dead processes left in ``tmp/``; returns what was removed."""
    removed = []
    for path in leftovers(tmp_dir, alive):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed
