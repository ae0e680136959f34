#!/usr/bin/env python3
"""The version in one place: ``pyproject.toml``'s ``[project] version``; this stamps it everywhere else.

    scripts/stamp_version.py            copy pyproject's version into every other file
    scripts/stamp_version.py 1.2.0      set pyproject's version to 1.2.0, then stamp it everywhere
    scripts/stamp_version.py --check    list the files that disagree with pyproject (exit 1 if any)

The other files: ``uv.lock`` (the project's own entry), ``desktop/Cargo.toml`` (``[workspace.package]``),
``desktop/Cargo.lock`` (the two desktop crates) and ``desktop/app/tauri.conf.json``. Only version fields
are touched. Standard library only, so it runs before any environment exists.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")
DESKTOP_CRATES = ("faceforge-desktop", "faceforge-supervisor")


@dataclass(frozen=True)
class Field:
    """One version field: the file (relative to the root) and the pattern whose group 2 is the version."""

    path: str
    pattern: re.Pattern[str]
    count: int = 1  # how many times the pattern must match


def _package_entry(name: str) -> re.Pattern[str]:
    return re.compile(rf'(\[\[package\]\]\nname = "{re.escape(name)}"\nversion = ")([^"]+)(")')


PYPROJECT = Field("pyproject.toml", re.compile(r'(?s)(\[project\][^\[]*?\nversion = ")([^"]+)(")'))
STAMPED = (
    Field("uv.lock", _package_entry("faceforge")),
    Field("desktop/Cargo.toml", re.compile(r'(?s)(\[workspace\.package\][^\[]*?\nversion = ")([^"]+)(")')),
    *(Field("desktop/Cargo.lock", _package_entry(crate)) for crate in DESKTOP_CRATES),
    Field("desktop/app/tauri.conf.json", re.compile(r'(?m)(^  "version": ")([^"]+)(")')),
)


def _matches(root: Path, field: Field) -> list[re.Match[str]]:
    found = list(field.pattern.finditer((root / field.path).read_text(encoding="utf-8")))
    if len(found) != field.count:
        raise SystemExit(f"{field.path}: expected {field.count} version field(s), found {len(found)}")
    return found


def source_version(root: Path = ROOT) -> str:
    """pyproject's ``[project] version`` (read as TOML, the way packaging tools read it)."""
    with (root / PYPROJECT.path).open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def found_versions(root: Path = ROOT) -> dict[str, str]:
    """Every stamped field's current version, keyed ``path`` (``path:crate`` for Cargo.lock)."""
    found: dict[str, str] = {}
    for field in STAMPED:
        for match in _matches(root, field):
            key = field.path
            if field.path.endswith("Cargo.lock"):
                key += ":" + next(c for c in DESKTOP_CRATES if f'"{c}"' in match.group(1))
            found[key] = match.group(2)
    return found


def disagreements(root: Path = ROOT) -> dict[str, str]:
    """The stamped fields whose version is not pyproject's."""
    wanted = source_version(root)
    return {key: value for key, value in found_versions(root).items() if value != wanted}


def _rewrite(root: Path, field: Field, version: str) -> None:
    path = root / field.path
    _matches(root, field)
    replace: Callable[[re.Match[str]], str] = lambda m: m.group(1) + version + m.group(3)  # noqa: E731
    path.write_text(field.pattern.sub(replace, path.read_text(encoding="utf-8")), encoding="utf-8")


def stamp(root: Path = ROOT, new: str | None = None) -> str:
    """Set pyproject's version to ``new`` (when given), then copy it into every stamped field."""
    if new is not None:
        if not SEMVER.match(new):
            raise SystemExit(f"{new!r} is not a version like 1.2.3 (or 1.2.3-rc.1)")
        _rewrite(root, PYPROJECT, new)
    version = source_version(root)
    for field in STAMPED:
        _rewrite(root, field, version)
    return version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("new", nargs="?", help="the new version (default: keep pyproject's)")
    parser.add_argument("--check", action="store_true", help="only report files that disagree")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check:
        wrong = disagreements(args.root)
        for key, value in wrong.items():
            print(f"{key}: {value} (pyproject.toml says {source_version(args.root)})", file=sys.stderr)
        return 1 if wrong else 0
    print(f"version {stamp(args.root, args.new)} stamped into {', '.join(sorted({f.path for f in STAMPED}))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
