"""FaceForge Desktop's Linux packages, built through the real recipe (``./justw package``).

The build is cached (frozen Core, release launcher, packages), so after the first run this costs
seconds. The checks read the packages as a user's system would: the .deb's control fields and
file list, its desktop entry, and the portable archive unpacked in a temporary folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sysconfig
import tarfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from package_build import build_packages
from package_smoke import CHECKS, Check, Shipped, serving

from script_support import load_script

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]  # the first test may build every package

ROOT = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
DEB = ROOT / "dist" / f"faceforge_{VERSION}_amd64.deb"
secret_scan = load_script("packaging/secret_scan.py")
PORTABLE = ROOT / "dist" / f"faceforge-desktop_{VERSION}_linux-x86_64.tar.gz"


@dataclass(frozen=True)
class Entry:
    """One line of ``dpkg-deb --contents``."""

    mode: str
    owner: str
    path: str


def run(*command: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False, timeout=3600
    )


def control_fields() -> dict[str, str]:
    text = run("dpkg-deb", "--field", DEB).stdout
    return dict(re.findall(r"^(\S+): (.*)$", text, re.MULTILINE))


def depends_names() -> set[str]:
    return {entry.split()[0] for entry in control_fields()["Depends"].split(", ")}


def contents() -> list[Entry]:
    lines = run("dpkg-deb", "--contents", DEB).stdout.splitlines()
    entries = []
    for line in lines:
        mode, owner, _size, _date, _time, path, *_link = line.split()
        entries.append(Entry(mode, owner, path.removeprefix(".")))
    return entries


def package_of(library: str) -> str:
    """The Debian package that installed a library file (dpkg records /lib or /usr/lib, whichever
    the package shipped, and /lib is a link to /usr/lib on merged-/usr systems)."""
    real = os.path.realpath(library)
    for candidate in dict.fromkeys([library, real, real.removeprefix("/usr"), "/usr" + library]):
        owner = run("dpkg", "-S", candidate)
        if owner.returncode == 0:
            return owner.stdout.split(":")[0]
    raise AssertionError(f"no package owns {library}")


def test_the_deb_names_its_version_architecture_and_runtime_dependencies(packages: None) -> None:
    fields = control_fields()
    assert fields["Package"] == "faceforge"
    assert fields["Version"] == VERSION
    assert fields["Architecture"] == "amd64"
    assert {
        "libwebkit2gtk-4.1-0",
        "libgtk-3-0",
        "libayatana-appindicator3-1",
        "perl",
        "libc6",
    } <= depends_names()
    assert int(fields["Installed-Size"]) > 50_000, "the frozen Core is inside (KiB)"


def test_every_library_the_launcher_links_comes_from_a_declared_dependency(
    packages: None, tmp_path: Path
) -> None:
    run("dpkg-deb", "--extract", DEB, tmp_path)
    dynamic = run("objdump", "-p", tmp_path / "usr/bin/faceforge-desktop").stdout
    needed = re.findall(r"^\s+NEEDED\s+(\S+)$", dynamic, re.MULTILINE)
    assert "libwebkit2gtk-4.1.so.0" in needed
    cache = run("ldconfig", "-p").stdout
    declared = depends_names()
    for library in needed:
        found = re.search(rf"^\s+{re.escape(library)} \(libc6,x86-64\) => (\S+)$", cache, re.MULTILINE)
        assert found, f"{library} is not installed here"
        assert package_of(found.group(1)) in declared, f"{library}: its package is not in Depends"


def test_the_deb_holds_launcher_core_tools_entry_and_icons_root_owned_and_never_world_writable(
    packages: None,
) -> None:
    entries = contents()
    paths = {entry.path for entry in entries}
    assert {
        "/usr/bin/faceforge-desktop",
        "/usr/lib/FaceForge/core/faceforge",
        "/usr/lib/FaceForge/core/tools/exiftool/exiftool",
        "/usr/lib/FaceForge/core/tools/weed",
        "/usr/share/applications/faceforge.desktop",
        "/usr/share/icons/hicolor/32x32/apps/faceforge.png",
        "/usr/share/icons/hicolor/128x128/apps/faceforge.png",
        "/usr/share/icons/hicolor/256x256/apps/faceforge.png",
    } <= paths
    assert any(path.startswith("/usr/lib/FaceForge/core/_internal/") for path in paths)
    assert all(path == "/" or path.startswith("/usr/") for path in paths), (
        "only /usr, nothing in /etc or /var"
    )
    assert {entry.owner for entry in entries} == {"root/root"}
    writable_by_others = [entry.path for entry in entries if entry.mode[8] == "w" and entry.mode[0] != "l"]
    assert writable_by_others == []
    modes = {entry.path: entry.mode for entry in entries}
    assert modes["/usr/bin/faceforge-desktop"] == "-rwxr-xr-x"
    assert modes["/usr/lib/FaceForge/core/faceforge"] == "-rwxr-xr-x"
    assert modes["/usr/share/applications/faceforge.desktop"] == "-rw-r--r--"


def test_the_deb_has_no_maintainer_scripts(packages: None, tmp_path: Path) -> None:
    run("dpkg-deb", "--control", DEB, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["control"]


def test_the_desktop_entry_validates_and_starts_the_launcher(packages: None, tmp_path: Path) -> None:
    run("dpkg-deb", "--extract", DEB, tmp_path)
    entry = tmp_path / "usr/share/applications/faceforge.desktop"
    validator = shutil.which("desktop-file-validate")
    assert validator, "desktop-file-utils is installed by scripts/install-system-deps.sh"
    checked = run(validator, entry)
    assert checked.returncode == 0, checked.stdout
    assert not checked.stdout.strip(), "no errors, warnings or hints"
    text = entry.read_text()
    assert "\nExec=faceforge-desktop\n" in text
    assert "\nIcon=faceforge\n" in text


def test_the_portable_archive_unpacks_to_the_launcher_with_core_beside_it(
    packages: None, tmp_path: Path
) -> None:
    with tarfile.open(PORTABLE) as archive:
        names = archive.getnames()
        assert all(name.startswith(f"faceforge-desktop-{VERSION}") for name in names)
        assert {member.uid for member in archive.getmembers()} == {0}
        archive.extractall(tmp_path, filter="data")
    folder = tmp_path / f"faceforge-desktop-{VERSION}"
    for program in (folder / "faceforge-desktop", folder / "core" / "faceforge"):
        assert program.is_file(), program
        assert os.access(program, os.X_OK), program
    assert (folder / "core" / "tools" / "weed").is_file()
    assert "./faceforge-desktop" in (folder / "README.txt").read_text()
    # The unpacked Core runs with no Python and no virtual environment on PATH.
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    ran = subprocess.run(
        [folder / "core" / "faceforge", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "serve" in ran.stdout


def test_sha256sums_name_both_packages_with_their_digests(packages: None) -> None:
    lines = (ROOT / "dist" / "SHA256SUMS").read_text().splitlines()
    sums = {name: digest for digest, name in (line.split("  ") for line in lines)}
    assert set(sums) == {DEB.name, PORTABLE.name}
    for name, digest in sums.items():
        assert hashlib.sha256((ROOT / "dist" / name).read_bytes()).hexdigest() == digest


def test_a_second_package_run_with_unchanged_inputs_takes_the_cached_packages(packages: None) -> None:
    before = DEB.stat().st_size
    again = build_packages()
    assert "unchanged inputs" in again.stderr
    assert "Compiling" not in again.stderr, "cargo found nothing to rebuild"
    assert DEB.stat().st_size == before


@pytest.fixture(scope="module")
def portable_core(packages: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shipped]:
    """The Core of the portable archive, unpacked where a user would, started with nothing else."""
    unpacked = tmp_path_factory.mktemp("portable")
    with tarfile.open(PORTABLE) as archive:
        archive.extractall(unpacked, filter="data")
    core = unpacked / f"faceforge-desktop-{VERSION}" / "core" / "faceforge"
    with serving(core, tmp_path_factory.mktemp("portable-run")) as shipped:
        yield shipped


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_the_portable_archives_core(portable_core: Shipped, check: Check) -> None:
    check(portable_core)


def test_the_packages_carry_no_secret_and_no_path_of_the_build_machine(
    packages: None, tmp_path: Path
) -> None:
    """Keys, tokens, .env files and paths of this checkout, its venv or the builder's home, in any file
    of either package, text or binary."""
    deb_root, portable_root = tmp_path / "deb", tmp_path / "portable"
    assert run("dpkg-deb", "-x", DEB, deb_root).returncode == 0
    with tarfile.open(PORTABLE) as archive:
        archive.extractall(portable_root, filter="data")
    findings = secret_scan.scan_for_secrets(tmp_path)
    found = [
        f"{f.path.relative_to(tmp_path)}: {f.kind} {f.excerpt}"
        for f in findings
        if not shipped_unchanged_from_python(f.path)
    ]
    assert not found, "\n".join(found)


PYTHON_SOURCES = [Path(sysconfig.get_path(name)) for name in ("purelib", "platlib", "platstdlib")] + [
    Path(sysconfig.get_path("platstdlib")) / "lib-dynload",
    Path(str(sysconfig.get_config_var("LIBDIR"))),
]


def shipped_unchanged_from_python(path: Path) -> bool:
    """A file the freeze copied byte for byte from the Python that built it (a wheel's extension module,
    the interpreter's own library): the paths inside are those of whoever compiled it, not ours to
    change. Anything we build or alter is scanned in full."""
    parts = path.parts
    if "_internal" not in parts:
        return False
    relative = Path(*parts[parts.index("_internal") + 1 :])
    digest = hashlib.sha256(path.read_bytes()).digest()
    for source in PYTHON_SOURCES:
        for candidate in (source / relative, source / relative.name):
            if candidate.is_file() and hashlib.sha256(candidate.read_bytes()).digest() == digest:
                return True
    return False
