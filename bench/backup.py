"""Backup speed: a first backup beside ``cp -a`` of the same store, a second after 100 new files, and
the deep verify beside ``sha256sum`` over the same files, all in the same run on the same disk.

The library is built through Core (each file stored with ``ingest_local``, linked into the store
without a second copy): ``--small`` small files (1-64 KiB, random bytes) and ``--large-gib`` GiB of
large ones (256 MiB each). Then, with warm caches for both:

- ``cp -a`` of ``assets/`` to a folder beside the backup: the reference rate for the first backup
  (``cp`` syncs nothing; the backup fsyncs every file, so ``cp -a && sync`` is printed too);
- ``faceforge backup create`` (the command a user types, process start included); ``--rounds N``
  runs these three N times in turn and prints the medians;
- 100 new small files, then a second ``faceforge backup create`` (seconds: only the new files);
- ``faceforge backup verify --deep`` beside ``sha256sum`` of every blob of the backup;
- then the same into S3 (a ``weed`` started on loopback ports, on the same disk): a first backup to
  ``s3://bench-backup/library`` beside a plain boto3 ``upload_file`` of the same files into another
  bucket of the same weed (4 files at a time, as the backup copies), a second backup after 100 new
  files, and the deep verify (every blob streamed back and re-hashed) beside boto3 downloads hashed
  with ``hashlib`` (``--no-s3`` skips this part).

    python bench/backup.py [--small 10000] [--large-gib 4] [--rounds 1] [--workdir DIR] [--keep] [--no-s3]

Never fails on a number.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from assets import FACEFORGE, GIB, MIB, line, make_file, peak_rss, rate
from faceforge_adapters.backup.s3targets import ACCESS_KEY_ENV, SECRET_KEY_ENV
from faceforge_adapters.bootstrap import build_core
from faceforge_adapters.config import CoreConfig
from faceforge_adapters.home import fixed_paths
from faceforge_adapters.seaweed.process import SeaweedPorts, SeaweedSettings, spawn, volumes_registered
from faceforge_adapters.tools import find_weed
from faceforge_domain.models import LocalFile
from faceforge_domain.services.assets import IngestOptions
from s3 import seaweed_ports

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


def run(home: Path, *args: str, extra_env: dict[str, str] | None = None) -> float:
    """``faceforge ARGS`` in the home; prints its last line and its peak RSS (memory stays bounded
    whatever the files' sizes: they are streamed, S3 ones a few parts at a time)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env |= {"FACEFORGE_HOME": str(home), **ENV, **(extra_env or {})}
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(FACEFORGE), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with peak_rss(process.pid) as peak:
        out, err = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"faceforge {' '.join(args)} failed: {err}")
    last = out.strip().splitlines()[-1] if out.strip() else ""
    print(f"    {last} [peak RSS {peak[0] / 1024:.0f} MiB]", flush=True)
    return seconds


def shell(command: str) -> float:
    started = time.perf_counter()
    subprocess.run(["bash", "-c", command], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def tree_size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


@contextmanager
def running_weed(folder: Path) -> Iterator[SeaweedSettings]:
    """A ``weed server`` of its own on free loopback ports, killed at the end."""
    weed = find_weed(CoreConfig(), fixed_paths(folder))
    if weed is None:
        raise SystemExit("the weed binary is missing: run ./justw setup")
    master, volume, filer, s3 = seaweed_ports()
    settings = SeaweedSettings(
        weed=weed,
        data_dir=folder / "data",
        run_dir=folder / "run",
        log_file=folder / "seaweedfs.log",
        ip="127.0.0.1",
        ports=SeaweedPorts(master=master, volume=volume, filer=filer, s3=s3),
        access_key="BENCH" + secrets.token_hex(6).upper(),
        secret_key=secrets.token_urlsafe(24),
        bucket="bench-plain",
    )
    process = spawn(settings, owner_pid=None)
    try:
        client = s3_client(settings)
        deadline = time.monotonic() + 90
        while True:
            try:
                client.list_buckets()
                if volumes_registered(settings):
                    break
            except (BotoCoreError, ClientError):
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"weed did not start: see {settings.log_file}")
            time.sleep(0.25)
        yield settings
    finally:
        process.kill()
        process.wait(10)


def s3_client(settings: SeaweedSettings) -> Any:
    config = BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 2})
    return boto3.client(
        "s3",
        endpoint_url=settings.endpoint_url,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
        region_name="us-east-1",
        config=config,
    )


def plain_upload(settings: SeaweedSettings, root: Path) -> float:
    """boto3's own ``upload_file`` (its multipart transfer) of every file under ``root``, 4 at a time."""
    client = s3_client(settings)
    client.create_bucket(Bucket="bench-plain")
    files = [p for p in root.rglob("*") if p.is_file()]
    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda p: client.upload_file(str(p), "bench-plain", p.name), files))
    return time.perf_counter() - started


def plain_download_and_hash(settings: SeaweedSettings) -> float:
    """Every object of the plain bucket downloaded with boto3 and hashed with hashlib, 2 at a time."""
    client = s3_client(settings)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket="bench-plain")
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]

    def fetch(key: str) -> str:
        body = client.get_object(Bucket="bench-plain", Key=key)["Body"]
        hasher = hashlib.sha256()
        while chunk := body.read(1024 * 1024):
            hasher.update(chunk)
        return hasher.hexdigest()

    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(fetch, keys))
    return time.perf_counter() - started


def bench_s3(work: Path, home: Path) -> None:
    files, size = tree_size(home / "assets")
    print(f"S3 target (a weed on loopback, same disk): {files} files, {size / MIB:.0f} MiB", flush=True)
    with running_weed(work / "weed") as weed:
        s3_client(weed).create_bucket(Bucket="bench-backup")
        env = {
            ACCESS_KEY_ENV: weed.access_key,
            SECRET_KEY_ENV: weed.secret_key,
            "FACEFORGE_BACKUP__S3__ENDPOINT_URL": weed.endpoint_url,
        }
        target = "s3://bench-backup/library"
        plain = plain_upload(weed, home / "assets")
        first = run(home, "backup", "create", target, extra_env=env)
        line("boto3 upload_file, 4 at a time", rate(size, plain), "MiB/s")
        line("faceforge backup create s3:// (first)", rate(size, first), "MiB/s", rate(size, plain), "boto3")
        line("  files per second", files / first, "files/s", files / plain, "boto3")
        store(home, small_files(work / "src-more-s3", 100, 3))
        second = run(home, "backup", "create", target, extra_env=env)
        line("faceforge backup create s3:// (second, 100 new)", second, "s", first, "the first backup")
        reference = plain_download_and_hash(weed)
        verify = run(home, "backup", "verify", target, "--deep", extra_env=env)
        verified = tree_size(home / "assets")[1]  # the 100 new files too
        line(
            "faceforge backup verify --deep s3://",
            rate(verified, verify),
            "MiB/s",
            rate(size, reference),
            "boto3 get + hashlib",
        )


def library_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every library benchmark takes: its size, its work folder, whether to keep it."""
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large-gib", type=float, default=4.0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")


def build_library(work: Path, home: Path, small: int, large_gib: float) -> tuple[int, int]:
    """A home holding ``small`` small files and ``large_gib`` GiB of large ones: its file count and bytes."""
    print(f"building the library: {small} small files + {large_gib} GiB of large ones", flush=True)
    store(home, small_files(work / "src", small, 1) + large_files(work / "src", large_gib))
    files, size = tree_size(home / "assets")
    print(f"  library: {files} files, {size / MIB:.0f} MiB in {home / 'assets'}", flush=True)
    return files, size


def cp_references(home: Path, work: Path) -> tuple[float, float]:
    """Seconds for ``cp -a`` of the store, and for ``cp -a && sync``, on the same disk."""
    cp = shell(f"cp -a {home / 'assets'} {work / 'cp-copy'}")
    shutil.rmtree(work / "cp-copy")
    cp_sync = shell(f"cp -a {home / 'assets'} {work / 'cp-copy'} && sync")
    shutil.rmtree(work / "cp-copy")
    return cp, cp_sync


def first_backups(home: Path, work: Path, target: Path, files: int, size: int, rounds: int) -> float:
    """The first backup beside ``cp -a`` and ``cp -a && sync``, ``rounds`` times in turn: the disk's
    speed swings on a shared machine, so the medians compare the three over the same moments. The last
    round's backup stays for what follows; answers its seconds."""
    seconds: dict[str, list[float]] = {"cp": [], "cp_sync": [], "backup": []}
    for round_ in range(1, rounds + 1):
        print(f"first backup{f', round {round_} of {rounds}' if rounds > 1 else ''}", flush=True)
        shutil.rmtree(target, ignore_errors=True)
        cp, cp_sync = cp_references(home, work)
        first = run(home, "backup", "create", str(target))
        for key, value in (("cp", cp), ("cp_sync", cp_sync), ("backup", first)):
            seconds[key].append(value)
        line("cp -a (no sync)", rate(size, cp), "MiB/s")
        line("cp -a && sync", rate(size, cp_sync), "MiB/s")
        line("faceforge backup create (first)", rate(size, first), "MiB/s", rate(size, cp), "cp -a")
        line("  the same", rate(size, first), "MiB/s", rate(size, cp_sync), "cp -a && sync")
        line("  files per second", files / first, "files/s", files / cp, "cp -a")
    if rounds > 1:
        cp, cp_sync, first = (statistics.median(seconds[key]) for key in ("cp", "cp_sync", "backup"))
        print(f"medians of {rounds} rounds", flush=True)
        line("faceforge backup create (first)", rate(size, first), "MiB/s", rate(size, cp), "cp -a")
        line("  the same", rate(size, first), "MiB/s", rate(size, cp_sync), "cp -a && sync")
    return seconds["backup"][-1]


def finish(work: Path, keep: bool) -> None:
    if keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    library_arguments(parser)
    parser.add_argument("--no-s3", action="store_true", help="skip the S3 target")
    parser.add_argument("--rounds", type=int, default=1, help="first backups, each beside its own cp")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ff-bench-backup-", dir=args.workdir))
    try:
        home, target = work / "home", work / "backup"
        files, size = build_library(work, home, args.small, args.large_gib)

        start = run(home, "--version")
        line("process start (faceforge --version)", start, "s")
        first = first_backups(home, work, target, files, size, args.rounds)

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
        if not args.no_s3:
            bench_s3(work, home)
    finally:
        finish(work, args.keep)


if __name__ == "__main__":
    main()
