"""Assemble FaceForge Desktop's Linux packages from a frozen Core and a release launcher.

Writes, under ``--dist``:

- ``faceforge_<version>_amd64.deb``: ``/usr/bin/faceforge-desktop``, the frozen Core under
  ``/usr/lib/FaceForge/core/`` (the resource folder Tauri computes for an executable in /usr/bin),
  the desktop entry, hicolor icons and a control file whose ``Depends`` come from the libraries
  the launcher links (``dpkg-shlibdeps``), the ones it loads at run time (the tray), the C library
  the frozen Core needs and ``perl`` for the bundled ExifTool;
- ``faceforge-desktop_<version>_linux-x86_64.tar.gz``: a portable folder with ``faceforge-desktop``
  and ``core/`` beside it;
- ``SHA256SUMS`` for both.

The packages are built with ``dpkg-deb`` and ``tarfile`` rather than Tauri's bundler: that needs
``tauri-cli`` compiled from crates.io (about ten minutes here) and its AppImage step downloads
tools from outside the package registries, while these two formats need nothing but dpkg. The
release workflow builds the other formats with Tauri's bundler on each OS.

The outputs are cached under ``${XDG_CACHE_HOME:-~/.cache}/faceforge/package/<key>/``, keyed on
a hash of every input (version, launcher, Core folder, this script, the desktop entry, icons),
so a second run only copies them. Run by ``./justw package``; stdlib only.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
DESKTOP_ENTRY = HERE / "faceforge.desktop"
ICONS = ROOT / "desktop" / "app" / "icons"
# hicolor size folder -> icon file of the Tauri app.
ICON_SIZES = {"32x32": "32x32.png", "128x128": "128x128.png", "256x256": "icon.png"}
# Tauri's resource folder on Linux is /usr/lib/<productName> (desktop/app/tauri.conf.json).
PRODUCT_NAME = "FaceForge"
PACKAGE = "faceforge"
LAUNCHER = "faceforge-desktop"
# Loaded at run time, so no linker tool sees them: the tray (libayatana-appindicator3.so.1 via
# the tray-icon crate), perl for the bundled ExifTool, xdg-open for "open in browser" and reports.
RUNTIME_DEPENDS = ["libayatana-appindicator3-1", "perl", "xdg-utils"]
MAINTAINER = "FaceForge <faceforge@localhost>"
DESCRIPTION = """\
FaceForge: a local-first library for people, characters and their files
 FaceForge keeps entities, their images and other files, and their metadata in one
 folder on this computer. FaceForge Desktop runs a first-run wizard, starts FaceForge
 Core (bundled, with ExifTool and SeaweedFS) in the background, watches it, and opens
 the library in a window or the web browser. Only this computer can connect."""
PORTABLE_README = """\
FaceForge Desktop {version} (portable, Linux x86_64)

Run ./faceforge-desktop from this folder. The folder can live anywhere (a USB stick, your
home folder); nothing is installed and nothing outside it is changed, except FaceForge's
own data folder, chosen in the first-run wizard.

  faceforge-desktop   the launcher: wizard, status window, tray icon
  core/               FaceForge Core with ExifTool and SeaweedFS (started by the launcher;
                      core/faceforge --help lists its commands)

Needs the desktop's usual libraries: WebKitGTK 4.1, GTK 3 and, for the tray icon, Ayatana
AppIndicator (Debian/Ubuntu: libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1), and
perl for ExifTool. Crash reports land in <data folder>/logs/crash/.
"""


class PackageError(Exception):
    """A missing input or failed tool, said in a sentence."""


def project_version() -> str:
    """The version of record: ``[project] version`` in pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def deb_architecture() -> str:
    return run(["dpkg", "--print-architecture"]).strip()


def run(command: list[str], cwd: Path | None = None, *, check: bool = True) -> str:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as err:
        raise PackageError(f"{command[0]} is not installed (Debian: dpkg-dev)") from err
    if check and done.returncode != 0:
        raise PackageError(f"{command[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def check_inputs(core: Path, launcher: Path) -> None:
    if not (core / "faceforge").is_file():
        raise PackageError(f"no frozen Core at {core}/faceforge: run ./justw freeze first")
    if not os.access(core / "faceforge", os.X_OK):
        raise PackageError(f"{core}/faceforge is not executable")
    if not launcher.is_file():
        raise PackageError(f"no launcher at {launcher}: run cargo build -p faceforge-desktop --release")


def files_under(folder: Path) -> Iterator[Path]:
    """Every file and link under ``folder``, in a stable order."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(dirpath) / name


def cache_key(version: str, core: Path, launcher: Path) -> str:
    """A hash of everything that ends up in the packages (contents and executable bits)."""
    digest = hashlib.sha256()
    inputs = [Path(__file__), DESKTOP_ENTRY, launcher, *(ICONS / name for name in ICON_SIZES.values())]
    digest.update(version.encode())
    for path in inputs:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for path in files_under(core):
        relative = path.relative_to(core).as_posix().encode()
        if path.is_symlink():
            digest.update(b"L" + relative + b"\0" + os.readlink(path).encode())
        else:
            executable = b"x" if os.access(path, os.X_OK) else b"-"
            digest.update(b"F" + executable + relative + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:24]


def normalise_modes(folder: Path) -> None:
    """0755 for folders and executables, 0644 for the rest: readable by all, writable by none but
    root (the package owner), whatever the build machine's umask was."""
    for dirpath, _dirnames, filenames in os.walk(folder):
        Path(dirpath).chmod(0o755)
        for name in filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                executable = path.stat().st_mode & stat.S_IXUSR
                path.chmod(0o755 if executable else 0o644)


def elf_files(folder: Path) -> list[Path]:
    found = []
    for path in files_under(folder):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as file:
            if file.read(4) == b"\x7fELF":
                found.append(path)
    return found


def glibc_needed(binaries: list[Path]) -> str | None:
    """The newest ``GLIBC_x.y`` symbol version any of ``binaries`` asks for."""
    versions: set[tuple[int, ...]] = set()
    for chunk in range(0, len(binaries), 50):
        # Static programs (weed) have no dynamic symbols: objdump says so and fails for them alone.
        dynamic = run(["objdump", "-T", *map(str, binaries[chunk : chunk + 50])], check=False)
        versions |= {tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", dynamic)}
    return ".".join(map(str, max(versions))) if versions else None


def launcher_depends(launcher: Path) -> list[str]:
    """The packages of the libraries the launcher links, as ``dpkg-shlibdeps`` finds them."""
    with tempfile.TemporaryDirectory() as scratch:
        debian = Path(scratch) / "debian"
        debian.mkdir()
        (debian / "control").write_text(f"Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: any\n")
        out = run(["dpkg-shlibdeps", "-O", f"-e{launcher}"], cwd=Path(scratch))
    match = re.search(r"^shlibs:Depends=(.*)$", out, re.MULTILINE)
    return [dep.strip() for dep in match.group(1).split(",")] if match else []


def depends(launcher: Path, core: Path) -> str:
    """The ``Depends`` line: linked libraries, run-time loads, and the C library for Core."""
    entries = launcher_depends(launcher) + RUNTIME_DEPENDS
    glibc = glibc_needed(elf_files(core))
    if glibc:
        entries.append(f"libc6 (>= {glibc})")
    merged: dict[str, str] = {}
    for entry in entries:
        name = entry.split()[0]
        # Keep the strictest of two versioned entries for one package (libc6 from both sides).
        if name not in merged or version_key(entry) > version_key(merged[name]):
            merged[name] = entry
    return ", ".join(merged[name] for name in sorted(merged))


def version_key(entry: str) -> tuple[int, ...]:
    found = re.search(r">= ([\d.]+)", entry)
    return tuple(int(part) for part in found.group(1).split(".") if part) if found else ()


def installed_size_kib(root: Path) -> int:
    return sum((p.lstat().st_size + 1023) // 1024 for p in files_under(root)) + 4


def stage_deb(stage: Path, version: str, core: Path, launcher: Path) -> None:
    usr = stage / "usr"
    (usr / "bin").mkdir(parents=True)
    shutil.copy2(launcher, usr / "bin" / LAUNCHER)
    shutil.copytree(core, usr / "lib" / PRODUCT_NAME / "core", symlinks=True)
    applications = usr / "share" / "applications"
    applications.mkdir(parents=True)
    shutil.copyfile(DESKTOP_ENTRY, applications / "faceforge.desktop")
    for size, name in ICON_SIZES.items():
        folder = usr / "share" / "icons" / "hicolor" / size / "apps"
        folder.mkdir(parents=True)
        shutil.copyfile(ICONS / name, folder / "faceforge.png")
    doc = usr / "share" / "doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "FaceForge, licensed under the MIT License.\n"
        "Bundled: ExifTool (Phil Harvey; Perl Artistic License or GPL), SeaweedFS (Apache-2.0),\n"
        "and the Python runtime and libraries FaceForge Core is built from (their own licenses).\n"
    )
    normalise_modes(stage)
    control = stage / "DEBIAN"
    control.mkdir(mode=0o755)
    (control / "control").write_text(
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        f"Architecture: {deb_architecture()}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {installed_size_kib(usr)}\n"
        f"Depends: {depends(launcher, core)}\n"
        "Section: graphics\n"
        "Priority: optional\n"
        f"Description: {DESCRIPTION}\n"
    )


def build_deb(out: Path, version: str, core: Path, launcher: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="faceforge-deb-") as scratch:
        stage = Path(scratch) / "root"
        stage.mkdir()
        stage_deb(stage, version, core, launcher)
        # --root-owner-group: every file root:root without fakeroot; xz -6 is dpkg's default.
        run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(stage), str(out)])


def build_portable(out: Path, version: str, core: Path, launcher: Path) -> None:
    top = f"{LAUNCHER}-{version}"

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        if not info.issym():
            info.mode = 0o755 if info.isdir() or info.mode & 0o100 else 0o644
        return info

    with tarfile.open(out, "w:gz", compresslevel=6) as archive:
        archive.add(launcher, f"{top}/{LAUNCHER}", filter=owned_by_root)
        archive.add(core, f"{top}/core", filter=owned_by_root)
        readme = PORTABLE_README.format(version=version).encode()
        info = owned_by_root(tarfile.TarInfo(f"{top}/README.txt"))
        info.size, info.mode = len(readme), 0o644
        archive.addfile(info, io.BytesIO(readme))


def sha256_of(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "faceforge" / "package"


def package(core: Path, launcher: Path, dist: Path) -> list[Path]:
    """Build (or take from the cache) the .deb, the portable archive and their sums in ``dist``."""
    check_inputs(core, launcher)
    version = project_version()
    names = [f"{PACKAGE}_{version}_{deb_architecture()}.deb", f"{LAUNCHER}_{version}_linux-x86_64.tar.gz"]
    cached = cache_root() / cache_key(version, core, launcher)
    if not all((cached / name).is_file() for name in [*names, "SHA256SUMS"]):
        print(f"package: building {', '.join(names)}", file=sys.stderr)
        cache_root().mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_root()))
        try:
            build_deb(building / names[0], version, core, launcher)
            build_portable(building / names[1], version, core, launcher)
            sums = "".join(f"{sha256_of(building / name)}  {name}\n" for name in names)
            (building / "SHA256SUMS").write_text(sums)
            # Only the latest build is kept: each is a few hundred MB.
            for old in cache_root().iterdir():
                if old != building:
                    shutil.rmtree(old, ignore_errors=True)
            building.rename(cached)
        finally:
            shutil.rmtree(building, ignore_errors=True)
    else:
        print(f"package: unchanged inputs, taken from {cached}", file=sys.stderr)
    dist.mkdir(parents=True, exist_ok=True)
    written = []
    for name in [*names, "SHA256SUMS"]:
        shutil.copyfile(cached / name, dist / name)
        written.append(dist / name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--core", type=Path, default=ROOT / "build" / "core" / "faceforge")
    parser.add_argument("--launcher", type=Path, required=True)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    try:
        written = package(args.core.resolve(), args.launcher.resolve(), args.dist)
    except PackageError as err:
        print(f"package: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(f"{path}  {path.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
