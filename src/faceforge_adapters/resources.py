"""The one place that finds the files Core loads by path (templates, static files, migrations).

From a source tree or an installed wheel they sit beside the packages' modules; in the frozen one-folder
build they sit under the folder PyInstaller unpacked the bundle into (``sys._MEIPASS``, the folder's
``_internal/``). Every caller asks here instead of deriving paths from its own ``__file__``, and the
freeze collects exactly ``RESOURCE_DIRS``, so what runs from source is what ships.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Folders of package data, as path parts under the folder that holds the packages.
UI_TEMPLATES = ("faceforge_http", "ui", "templates")
UI_STATIC = ("faceforge_http", "ui", "static")
STATIC = ("faceforge_http", "static")  # favicon and the vendored Swagger UI and Redoc
MIGRATIONS = ("faceforge_adapters", "sqlite", "migrations")
RESOURCE_DIRS = (UI_TEMPLATES, UI_STATIC, STATIC, MIGRATIONS)


class MissingResource(RuntimeError):
    """A folder Core ships is not where it should be: a broken install or freeze, not a user error."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"FaceForge is missing its bundled files at {path}; reinstall FaceForge")
        self.path = path


def frozen_folder() -> Path | None:
    """The folder of the frozen ``faceforge`` executable, or None when Core runs from Python sources."""
    if not getattr(sys, "frozen", False):
        return None
    return Path(sys.executable).resolve().parent


def packages_root() -> Path:
    """The folder that holds the ``faceforge_*`` packages (and their data)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle)
    return Path(__file__).resolve().parent.parent


def resource_dir(parts: tuple[str, ...]) -> Path:
    """One of ``RESOURCE_DIRS`` as a path; raises ``MissingResource`` if it is not there."""
    path = packages_root().joinpath(*parts)
    if not path.is_dir():
        raise MissingResource(path)
    return path
