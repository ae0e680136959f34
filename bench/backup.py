"""Backup speed: a first backup beside ``cp -a`` of the same store, a second after 100 new files, and
the deep verify beside ``sha256sum`` over the same files, all in the same run on the same disk.

The library is built through Core (each file stored with ``ingest_local``, linked into the store
without a second copy): ``--small`` small files (1-64 KiB, random bytes) and ``--large-gib`` GiB of
large ones (256 MiB each). Then, with warm caches for both:

- ``cp -a`` of ``assets/`` to a folder beside the backup: the reference rate for the first backup
  (``cp`` syncs nothing; the backup fsyncs every file, so ``cp -a && sync`` is printed too);
- ``faceforge backup create`` (the command a user types, process start included);
- 100 new small files, then a second ``faceforge backup create`` (seconds: only the new files);
- ``faceforge backup verify --deep`` beside ``sha256sum`` of every blob of the backup.

    python bench/backup.py [--small 10000] [--large-gib 4] [--workdir DIR] [--keep]

Never fails on a number.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import anyio

from assets import FACEFORGE, GIB, MIB, line, make_file, rate
from faceforge_adapters.bootstrap import build_core
from faceforge_domain.models import LocalFile
from faceforge_domain.services.assets import IngestOptions

LARGE = 256 * MIB
ENV = {"FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false"}


def small_files(folder: Path, count: int, seed: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for n in range(count):
        path = folder / f"s{seed}-{n:06d}.bin"
        path.write_bytes(rng.randbytes(rng.randint(1024, 64 * 1024)))
        paths.append(path)
    return paths


def large_files(folder: Path, gib: float) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    total, paths = int(gib * GIB), []
    while sum(p.stat().st_size for p in paths) < total:
        size = min(LARGE, total - sum(p.stat().st_size for p in paths))
        paths.append(make_file(folder / f"l{len(paths):03d}.bin", size))
    return paths


def store(home: Path, files: list[Path]) -> None:
    """Each file as an asset, linked into the store (no copy), as a finished upload is."""

    async def run() -> None:
        async with build_core(home=home, env={**ENV, "FACEFORGE_HOME": str(home)}) as core:
            for path in files:
                data = path.read_bytes()
                local = LocalFile(
                    path=str(path), sha256=hashlib.sha256(data).hexdigest(), size=len(data), head=data[:64]
                )
                await core.assets.ingest_local(local, IngestOptions(filename=path.name))

    anyio.run(run)


def run(home: Path, *args: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env |= {"FACEFORGE_HOME": str(home), **ENV}
    started = time.perf_counter()
    done = subprocess.run([str(FACEFORGE), *args], env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"faceforge {' '.join(args)} failed: {done.stderr}")
    print(f"    {done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ''}", flush=True)
    return seconds


def shell(command: str) -> float:
    started = time.perf_counter()
    subprocess.run(["bash", "-c", command], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def tree_size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large-gib", type=float, default=4.0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ff-bench-backup-", dir=args.workdir))
    try:
        home, target = work / "home", work / "backup"
        print(
            f"building the library: {args.small} small files + {args.large_gib} GiB of large ones", flush=True
        )
        sources = small_files(work / "src", args.small, 1) + large_files(work / "src", args.large_gib)
        store(home, sources)
        files, size = tree_size(home / "assets")
        print(f"  library: {files} files, {size / MIB:.0f} MiB in {home / 'assets'}", flush=True)

        start = run(home, "--version")
        line("process start (faceforge --version)", start, "s")
        print("first backup", flush=True)
        cp = shell(f"cp -a {home / 'assets'} {work / 'cp-copy'}")
        shutil.rmtree(work / "cp-copy")
        cp_sync = shell(f"cp -a {home / 'assets'} {work / 'cp-copy'} && sync")
        shutil.rmtree(work / "cp-copy")
        first = run(home, "backup", "create", str(target))
        line("cp -a (no sync)", rate(size, cp), "MiB/s")
        line("cp -a && sync", rate(size, cp_sync), "MiB/s")
        line("faceforge backup create (first)", rate(size, first), "MiB/s", rate(size, cp), "cp -a")
        line("  files per second", files / first, "files/s", files / cp, "cp -a")

        print("second backup after 100 new files", flush=True)
        store(home, small_files(work / "src-more", 100, 2))
        second = run(home, "backup", "create", str(target))
        line("faceforge backup create (second)", second, "s", first, "the first backup")
        line("  of which the work (less the process start)", second - start, "s")

        print("deep verify", flush=True)
        blobs, blob_bytes = tree_size(target / "blobs")
        reference = shell(f"find {target / 'blobs'} -type f -print0 | xargs -0 sha256sum")
        verify = run(home, "backup", "verify", str(target), "--deep")
        line(
            "faceforge backup verify --deep",
            rate(blob_bytes, verify),
            "MiB/s",
            rate(blob_bytes, reference),
            "sha256sum",
        )
        print(
            f"  ({blobs} blobs, {blob_bytes / MIB:.0f} MiB, both snapshots' databases re-hashed too)",
            flush=True,
        )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
