"""A pristine Debian root for install tests, bootstrapped once and cached as a tarball.

``debootstrap --variant=minbase`` takes minutes; unpacking its cached tarball takes seconds, so each
test run starts from an untouched root. The cache is keyed by suite and variant under
``${XDG_CACHE_HOME:-~/.cache}/faceforge/clean-root/``; delete the tarball to bootstrap afresh.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

SUITE = "bookworm"
VARIANT = "minbase"
MIRROR = "http://deb.debian.org/debian"


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "faceforge" / "clean-root"


def cached_tarball(suite: str = SUITE, variant: str = VARIANT) -> Path:
    return cache_dir() / f"{suite}-{variant}.tar"


def ensure_tarball(suite: str = SUITE, variant: str = VARIANT) -> Path:
    """The cached root tarball, bootstrapping it first when it is missing.

    Written to a temporary name and renamed, so an interrupted bootstrap never leaves a half root
    that later runs would take for a good one."""
    tarball = cached_tarball(suite, variant)
    if tarball.is_file():
        return tarball
    if not shutil.which("debootstrap"):
        raise RuntimeError("debootstrap is missing: install it (scripts/install-system-deps.sh)")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tarball.parent, prefix="bootstrap-") as work:
        root = Path(work) / "root"
        subprocess.run(
            ["debootstrap", f"--variant={variant}", suite, str(root), MIRROR],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        partial = tarball.with_suffix(".tar.partial")
        subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), "."], check=True)
        partial.rename(tarball)
    return tarball


def unpack_root(dest: Path, suite: str = SUITE, variant: str = VARIANT) -> Path:
    """A fresh copy of the cached root in ``dest`` (created), for one test run to use up."""
    tarball = ensure_tarball(suite, variant)
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-C", str(dest), "--numeric-owner", "-xpf", str(tarball)], check=True)
    return dest


def processes_in(root: Path) -> list[int]:
    """Every process whose root directory is ``root`` (or below it): what runs inside the chroot."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                seen = Path(os.readlink(entry / "root"))
            except OSError:
                continue
            if seen == root or root in seen.parents:
                found.append(int(entry.name))
    return found


def mounts_under(root: Path) -> list[Path]:
    """The mount points at or below ``root``, deepest last (as /proc/self/mountinfo lists them)."""
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = Path(line.split()[4].replace("\\040", " "))
        if point == root or root in point.parents:
            points.append(point)
    return points


class Chroot:
    """A pristine root with what programs inside need mounted, torn down without trace.

    Mounts: ``/proc``, ``/sys``, the host's ``/dev`` (bound, not recursively), a private ``/dev/shm``
    and ``/dev/pts``,
    and the host's apt download cache (so a rerun does not fetch the same packages again). X and the
    session bus are reached through abstract sockets, which cross a chroot (it shares the network
    namespace), so the root's ``/tmp`` stays its own. ``close`` kills what still runs inside, unmounts
    deepest first (lazily if busy), and removes the root only when nothing is mounted there any more:
    a failing test never deletes through a mount into the host."""

    PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    def __init__(self, root: Path, unpacked: float = 0.0) -> None:
        self.root = root
        self.unpacked = unpacked  # seconds the unpacking took
        self._mounted: list[Path] = []

    def open(self) -> None:
        apt_cache = cache_dir() / "apt-archives"
        (apt_cache / "partial").mkdir(parents=True, exist_ok=True)
        self._mount(["-t", "proc", "proc"], "proc")
        self._mount(["-t", "sysfs", "sysfs"], "sys")
        self._mount(["--bind", "/dev"], "dev")
        self._mount(["-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "shm"], "dev/shm")
        self._mount(["-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=620", "devpts"], "dev/pts")
        self._mount(["--bind", str(apt_cache)], "var/cache/apt/archives")
        shutil.copyfile("/etc/resolv.conf", self.root / "etc" / "resolv.conf")

    def _mount(self, how: list[str], inside: str) -> None:
        target = self.root / inside
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", *how, str(target)], check=True)
        self._mounted.append(target)

    def command(self, *argv: str, user: str | None = None, env: dict[str, str] | None = None) -> list[str]:
        """The host command line that runs ``argv`` inside the root (as ``user``), with a clean
        environment: only PATH, a UTF-8 locale and ``env``."""
        userspec = [f"--userspec={user}:{user}"] if user else []
        pairs = [f"{k}={v}" for k, v in {"PATH": self.PATH, "LANG": "C.UTF-8", **(env or {})}.items()]
        return ["chroot", *userspec, str(self.root), "/usr/bin/env", "-i", *pairs, *argv]

    def run(
        self, *argv: str, user: str | None = None, env: dict[str, str] | None = None, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*argv, user=user, env=env), capture_output=True, text=True, timeout=timeout
        )

    def close(self) -> None:
        for _ in range(3):
            for pid in processes_in(self.root):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if not processes_in(self.root):
                break
            time.sleep(0.5)
        for target in reversed(self._mounted):
            if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(target)], check=False)
        self._mounted.clear()
        left = mounts_under(self.root)
        if left:
            raise RuntimeError(f"still mounted, {self.root} kept: {left}")
        shutil.rmtree(self.root)
