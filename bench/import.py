"""Bulk import speed: generated JPEGs with EXIF tags and the ExifTool sample folder.

For each folder it prints files/s and MB/s of a whole bulk import (walk, hash, store, record, ExifTool
metadata through the pool, job log) beside ``exiftool -json -r`` over the same folder in the same run,
and the import's share of the raw ExifTool rate. Then it starts the import again in a fresh home and
cancels it mid-way, printing the time from the cancel request to the job being ``canceled``.

    python bench/import.py [--count 10000] [--workdir DIR] [--cancels 3] [--clean]

Every import runs in a home of its own under ``WORKDIR/runs/``, and homes are kept after the run
(``--clean`` removes this run's at the end). Deleting many files just before an import would slow it:
on ext4 without a journal (this machine's disk) the inode allocator skips inodes freed in the last
minutes, so creating files right after a mass delete costs several times the CPU, which the
reference (it creates no files) never pays.

The JPEGs are built with the standard library: a small JPEG body with a fresh EXIF segment per file
(Make, Model, ImageDescription, DateTimeOriginal, Artist), so every file is distinct.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import anyio

from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_domain.imports.models import JOB_TYPE

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "exiftool-samples"
BASE_JPEG = SAMPLES / "Writer.jpg"  # the smallest sample JPEG: its image data is the body of every file


def exif_segment(index: int) -> bytes:
    """An APP1 Exif segment: a little-endian TIFF header and IFD0 of ASCII tags."""
    tags = [
        (0x010E, f"generated picture {index}"),  # ImageDescription
        (0x010F, "FaceForge"),  # Make
        (0x0110, f"Bench {index % 7}"),  # Model
        (0x0132, f"2026:01:{1 + index % 28:02d} 12:{index % 60:02d}:00"),  # DateTime
        (0x013B, f"artist {index % 13}"),  # Artist
    ]
    entries, data = [], b""
    data_offset = 8 + 2 + 12 * len(tags) + 4
    for tag, text in tags:
        value = text.encode("ascii") + b"\0"
        if len(value) <= 4:
            entries.append(struct.pack("<HHI4s", tag, 2, len(value), value.ljust(4, b"\0")))
        else:
            entries.append(struct.pack("<HHII", tag, 2, len(value), data_offset + len(data)))
            data += value + (b"\0" if len(value) % 2 else b"")
    tiff = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", len(tags)) + b"".join(entries)
    tiff += struct.pack("<I", 0) + data
    payload = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def generate_jpegs(folder: Path, count: int) -> None:
    body = BASE_JPEG.read_bytes()[2:]  # everything after SOI
    for index in range(count):
        sub = folder / f"batch{index // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"img{index:06d}.jpg").write_bytes(b"\xff\xd8" + exif_segment(index) + body)


def folder_stats(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def exiftool_rate(folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["exiftool", "-json", "-r", str(folder)], capture_output=True, check=False)
    return time.perf_counter() - started


async def import_once(
    home: Path, folder: Path, cancel_after: float | None = None
) -> tuple[float, str, float]:
    """Seconds for the whole import, its final status, and (when canceling) the cancel latency."""
    async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
        started = time.perf_counter()
        job = await core.jobs.create(JOB_TYPE, {"path": str(folder)})
        latency = 0.0
        if cancel_after is not None:
            await anyio.sleep(cancel_after)
            asked = time.perf_counter()
            await core.jobs.cancel(job.job_id)
            final = await finished(core, job.job_id)
            latency = time.perf_counter() - asked
        else:
            final = await finished(core, job.job_id)
        return time.perf_counter() - started, final, latency


async def finished(core: Core, job_id: str) -> str:
    status = ""
    async for update in core.jobs.follow(job_id, poll_s=0.05):
        status = update.job.status
    return status


def rate_line(label: str, seconds: float, files: int, mb: float) -> str:
    return f"  {label:24} {seconds:8.2f} s  {files / seconds:9.1f} files/s  {mb / seconds:7.2f} MB/s"


def fresh_home(runs: Path, name: str) -> Path:
    """A home never used before (see the module docstring for why none is deleted before a run)."""
    return runs / f"{name.replace(' ', '-')}-{time.time_ns()}"


def report(name: str, folder: Path, runs: Path) -> None:
    files, size = folder_stats(folder)
    reference = exiftool_rate(folder)
    took, status, _ = anyio.run(import_once, fresh_home(runs, name), folder)
    mb = size / 1e6
    print(f"\n{name}: {files} files, {mb:.1f} MB")
    print(rate_line("exiftool -json -r", reference, files, mb))
    print(rate_line(f"bulk import ({status})", took, files, mb))
    print(f"  import / exiftool   {reference / took:8.0%} of the raw ExifTool rate")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--cancels", type=int, default=3)
    parser.add_argument("--clean", action="store_true", help="remove this run's homes at the end")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ff-bench-import-"))
    jpegs = workdir / "jpegs"
    if not jpegs.exists():
        generate_jpegs(jpegs, args.count)
    samples = workdir / "samples"
    if not samples.exists():
        shutil.copytree(SAMPLES, samples)
    runs = workdir / "runs"
    started = time.time_ns()
    print(f"work folder: {workdir}")
    report("generated JPEGs", jpegs, runs)
    report("ExifTool samples", samples, runs)

    latencies = []
    for attempt in range(args.cancels):
        _, status, latency = anyio.run(import_once, fresh_home(runs, "cancel"), jpegs, 1.0)
        latencies.append(latency)
        print(f"\ncancel {attempt + 1}: requested 1 s in, job {status} after {latency * 1000:.0f} ms")
    if latencies:
        median, worst = statistics.median(latencies) * 1000, max(latencies) * 1000
        print(f"cancel latency: median {median:.0f} ms, max {worst:.0f} ms")
    if args.clean:
        for home in runs.iterdir():
            if int(home.name.rsplit("-", 1)[1]) >= started:
                shutil.rmtree(home)


if __name__ == "__main__":
    main()
