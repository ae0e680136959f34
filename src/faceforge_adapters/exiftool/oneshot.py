"""``exiftool -@ ARGSFILE <path>``: one process per file (the reference the pool must match)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import anyio

from faceforge_domain.metadata import MetadataError


async def run_oneshot(exiftool: Path, argfile: Path, path: Path, *, limit_s: float = 120) -> bytes:
    """ExifTool's stdout for one file; stderr is discarded. A non-zero exit with output still counts."""
    try:
        with anyio.fail_after(limit_s):
            done = await anyio.run_process(
                [str(exiftool), "-@", str(argfile), str(path)],
                stderr=subprocess.DEVNULL,
                check=False,
            )
    except TimeoutError:
        raise MetadataError(f"exiftool took longer than {limit_s:.0f} s") from None
    except OSError as exc:
        raise MetadataError(f"exiftool could not start: {exc}") from None
    return done.stdout
