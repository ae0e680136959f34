"""FACEFORGE_HOME: where it is and what lives in it.

Resolution: the ``FACEFORGE_HOME`` environment variable, else the per-user OS data directory; never the
working directory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_DIR_NAME = "FaceForge"


def _user_home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())


def default_home(env: Mapping[str, str], platform: str = sys.platform) -> Path:
    """The OS's per-user data directory for FaceForge."""
    user_home = _user_home(env)
    if platform.startswith("win"):
        base = env.get("LOCALAPPDATA") or str(user_home / "AppData" / "Local")
        return Path(base) / APP_DIR_NAME
    if platform == "darwin":
        return user_home / "Library" / "Application Support" / APP_DIR_NAME
    xdg = env.get("XDG_DATA_HOME")
    base_dir = Path(xdg) if xdg and Path(xdg).is_absolute() else user_home / ".local" / "share"
    return base_dir / APP_DIR_NAME.lower()


def resolve_home(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> Path:
    """The home folder: ``FACEFORGE_HOME`` (made absolute) or the OS default."""
    env = os.environ if env is None else env
    explicit = env.get("FACEFORGE_HOME", "").strip()
    if explicit == "~" or explicit.startswith(("~/", "~\\")):  # "~" means the given env's user
        explicit = str(_user_home(env)) + explicit[1:]
    if explicit:
        return Path(explicit).expanduser().absolute()
    return default_home(env, platform)


@dataclass(frozen=True, slots=True)
class HomePaths:
    """Every folder Core uses, resolved to absolute paths."""

    home: Path
    db_dir: Path
    assets_dir: Path
    s3_dir: Path
    logs_dir: Path
    plugins_dir: Path
    run_dir: Path
    tmp_dir: Path
    config_dir: Path
    tools_dir: Path

    @property
    def db_file(self) -> Path:
        return self.db_dir / "core.sqlite3"

    @property
    def core_json(self) -> Path:
        return self.config_dir / "core.json"

    @property
    def uploads_dir(self) -> Path:
        """Resumable uploads in progress, one folder each."""
        return self.tmp_dir / "uploads"

    @property
    def ports_json(self) -> Path:
        return self.config_dir / "ports.json"

    @property
    def legacy_ports_json(self) -> Path:
        return self.home / "runtime" / "ports.json"

    def all_dirs(self) -> tuple[Path, ...]:
        return (
            self.db_dir,
            self.assets_dir,
            self.s3_dir,
            self.logs_dir,
            self.plugins_dir,
            self.run_dir,
            self.tmp_dir,
            self.config_dir,
            self.tools_dir,
        )

    def ensure(self) -> None:
        """Create every folder (owner-only where the OS honours it)."""
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        for folder in self.all_dirs():
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)


def fixed_paths(home: Path) -> HomePaths:
    """The layout with no overrides (``config/`` and ``tmp/`` are always here)."""
    return HomePaths(
        home=home,
        db_dir=home / "db",
        assets_dir=home / "assets",
        s3_dir=home / "s3",
        logs_dir=home / "logs",
        plugins_dir=home / "plugins",
        run_dir=home / "run",
        tmp_dir=home / "tmp",
        config_dir=home / "config",
        tools_dir=home / "tools",
    )
