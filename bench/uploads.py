"""Resumable (tus) upload MB/s beside the plain multipart upload and ``cp``, in the same run.

First, the running hash: ``rehashes`` SHA-256 (whose state serializes, so it is saved beside the
offset) beside ``hashlib`` over the same buffer, both fed 4 MiB at a time as the upload store does.

One real server (``faceforge serve``) per round; the same incompressible file goes through ``cp`` on the
same disk (the reference), a curl multipart upload, and tuspy (a tus client from PyPI) in 64 MiB
chunks, plain and with a sha256 ``Upload-Checksum`` on every chunk. Every round changes the file so
nothing dedupes; the medians of all rounds are printed last.

Usage: ``python bench/uploads.py [--gib 2] [--chunk-mib 64] [--rounds 3] [--dir PATH]``.
Never fails on a number.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import rehashes
from tusclient.client import TusClient
from tusclient.uploader import Uploader

from assets import GIB, MIB, FaceForgeServer, line, make_different, make_file, rate, timed
from faceforge_adapters.storage.partial_uploads import WRITE_BATCH


class Sha256Uploader(Uploader):  # type: ignore[misc]  (tuspy is untyped)
    CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)


def hash_rate(make: Callable[[], Any], data: bytes, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        hasher, started = make(), time.perf_counter()
        for start in range(0, len(data), WRITE_BATCH):
            hasher.update(data[start : start + WRITE_BATCH])
        times.append(time.perf_counter() - started)
    return rate(len(data), statistics.median(times))


def bench_hashers(rounds: int) -> None:
    data = os.urandom(256 * MIB)
    print(f"running SHA-256 over 256 MiB in {WRITE_BATCH // MIB} MiB batches, median of {rounds}", flush=True)
    reference = hash_rate(hashlib.sha256, data, rounds)
    line("hashlib.sha256", reference, "MB/s")
    line(
        "rehashes.PySha256 (serializable)",
        hash_rate(rehashes.PySha256, data, rounds),
        "MB/s",
        reference,
        "hashlib",
    )


def tus_upload(server: FaceForgeServer, source: Path, chunk: int, *, checksum: bool) -> float:
    client = TusClient(f"{server.base}/v1/uploads/", headers={"Authorization": f"Bearer {server.token}"})
    uploader = Sha256Uploader(
        file_path=str(source), client=client, chunk_size=chunk, upload_checksum=checksum
    )
    started = time.perf_counter()
    uploader.upload()
    return time.perf_counter() - started


def one_round(work: Path, source: Path, size: int, chunk: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    copy = work / "cp.out"
    figures["cp"] = rate(size, timed(["cp", str(source), str(copy)]))
    copy.unlink()
    home = work / "home"
    server = FaceForgeServer(home)
    try:
        make_different(source)
        url = f"{server.base}/v1/assets/upload"
        figures["multipart"] = rate(
            size, timed(["curl", "-sS", "-H", server.auth, "-F", f"file=@{source}", url])
        )
        make_different(source)
        figures["tus"] = rate(size, tus_upload(server, source, chunk, checksum=False))
        make_different(source)
        figures["tus+checksum"] = rate(size, tus_upload(server, source, chunk, checksum=True))
    finally:
        server.stop()
        shutil.rmtree(home)
    return figures


def report(label: str, figures: dict[str, float], chunk: int) -> None:
    print(label, flush=True)
    line("cp (same disk)", figures["cp"], "MB/s")
    line("curl multipart upload", figures["multipart"], "MB/s", figures["cp"], "cp")
    line(f"tuspy, {chunk // MIB} MiB chunks", figures["tus"], "MB/s", figures["multipart"], "multipart")
    line(
        f"tuspy, {chunk // MIB} MiB chunks + sha256",
        figures["tus+checksum"],
        "MB/s",
        figures["multipart"],
        "multipart",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gib", type=float, default=2)
    parser.add_argument("--chunk-mib", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    args = parser.parse_args()
    size, chunk = int(args.gib * GIB), args.chunk_mib * MIB
    work = Path(tempfile.mkdtemp(prefix="ff-bench-uploads-", dir=args.dir))
    try:
        source = make_file(work / "upload.bin", size)
        print(f"upload of {size / GIB:.1f} GiB, {args.rounds} rounds", flush=True)
        bench_hashers(args.rounds)
        rounds = []
        for number in range(1, args.rounds + 1):
            rounds.append(one_round(work, source, size, chunk))
            report(f"round {number}", rounds[-1], chunk)
        medians = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
        report(f"median of {len(rounds)} rounds", medians, chunk)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
