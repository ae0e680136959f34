"""DirectoryPluginSource: one folder per plugin under the plugins directory, each with ``plugin.json``.

Hidden folders (``.name``) and loose files are skipped; a folder without a readable manifest is still
reported, so a half-installed plugin shows up with its problem instead of vanishing.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

import anyio

from faceforge_domain.plugins.models import MANIFEST_FILE, ManifestSource

MAX_MANIFEST_BYTES = 1024 * 1024
log = logging.getLogger("faceforge.plugins")


def _read(folder: Path) -> ManifestSource:
    file = folder / MANIFEST_FILE
    found = partial(ManifestSource, name=folder.name, folder=str(folder), file=str(file))
    try:
        size = file.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            return found(error=f"is {size} bytes; at most {MAX_MANIFEST_BYTES}")
        return found(raw=file.read_bytes())
    except FileNotFoundError:
        return found(error=f"the folder has no {MANIFEST_FILE}")
    except OSError as exc:
        return found(error=f"cannot be read: {exc.strerror}")


def scan_directory(root: Path) -> list[ManifestSource]:
    """One source per plugin folder; an unreadable plugins folder is logged and reads as empty."""
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except FileNotFoundError:
        return []
    except OSError as exc:
        log.error("plugins folder cannot be read", extra={"path": str(root), "reason": exc.strerror})
        return []
    return [_read(folder) for folder in folders]


class DirectoryPluginSource:
    def __init__(self, root: Path) -> None:
        self.root = root

    async def scan(self) -> list[ManifestSource]:
        return await anyio.to_thread.run_sync(scan_directory, self.root)
