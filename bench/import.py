"""Bulk import speed: generated JPEGs with EXIF tags and the ExifTool sample folder.

For each folder it prints files/s and MB/s of a whole bulk import (walk, hash, store, record, ExifTool
metadata through the pool, job log) beside two references over the same folder in the same run:
``exiftool -json -r`` (one process, plain parameters) and the limit the import can reach: the
product's own parameters run by plain ``exiftool -@ ARGFILE`` over the folder split across one process
per core. It prints the import's share of each, and the database's growth per 1,000 files (the
database file once Core closed it, and the part of it that is ExifTool's stored output). The folders:
generated JPEGs, ExifTool's sample folder, and a camera-JPEG folder (``Canon1DmkIII.jpg`` copied
``--camera`` times, each copy made distinct by a comment segment, so none is a duplicate), and the
seconds the previews took after the import (they wait while it runs). Then it
starts the import again in a fresh home and cancels it mid-way, printing the time from the cancel
request to the job being ``canceled``.

    python bench/import.py [--count 10000] [--camera 1000] [--workdir DIR] [--cancels 3] [--clean]

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
import os
import shutil
import sqlite3
import statistics
import struct
import subprocess
import tempfile
import time
import zlib
from pathlib import Path

import anyio

from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_adapters.exiftool import PARAMETERS
from faceforge_domain.imports.models import JOB_TYPE

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "exiftool-samples"
BASE_JPEG = SAMPLES / "Writer.jpg"  # the smallest sample JPEG: its image data is the body of every file
CAMERA_JPEG = SAMPLES / "Canon1DmkIII.jpg"  # 8 KB, and about 80 KB of ExifTool output with our parameters


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


def copy_camera_jpeg(folder: Path, count: int) -> None:
    """``CAMERA_JPEG`` ``count`` times, each with its own comment segment right after SOI."""
    body = CAMERA_JPEG.read_bytes()[2:]
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        text = f"copy {index}".encode()
        comment = b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text
        (folder / f"IMG_{index:05d}.jpg").write_bytes(b"\xff\xd8" + comment + body)


def folder_stats(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def exiftool_rate(folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["exiftool", "-json", "-r", str(folder)], capture_output=True, check=False)
    return time.perf_counter() - started


def exiftool_limit(folder: Path, work: Path) -> float:
    """Seconds for the product's parameters over ``folder``, split across one process per core."""
    files = sorted(str(p) for p in folder.rglob("*") if p.is_file())
    cores = os.cpu_count() or 1
    argfile = work / "parameters.args"
    argfile.write_text("\n".join(PARAMETERS) + "\n", encoding="utf-8")
    lists = []
    for index in range(cores):
        listed = work / f"files-{index}.txt"
        listed.write_text("\n".join(files[index::cores]) + "\n", encoding="utf-8")
        lists.append(listed)
    started = time.perf_counter()
    running = [
        subprocess.Popen(["exiftool", "-@", str(argfile), "-@", str(listed)], stdout=subprocess.DEVNULL)
        for listed in lists
    ]
    for process in running:
        process.wait()
    return time.perf_counter() - started


def database_growth(home: Path) -> tuple[int, int, int]:
    """The database file's size, and the bytes of stored ExifTool output in it, packed and as JSON
    (read once Core has closed it)."""
    path = home / "db" / "core.sqlite3"
    packed = unpacked = 0
    with sqlite3.connect(path) as conn:
        for (stored,) in conn.execute("SELECT extracted_metadata FROM assets"):
            raw = stored if isinstance(stored, bytes) else stored.encode()
            packed += len(raw)
            unpacked += len(zlib.decompress(raw)) if isinstance(stored, bytes) else len(raw)
    return path.stat().st_size, packed, unpacked


async def import_once(
    home: Path, folder: Path, cancel_after: float | None = None
) -> tuple[float, str, float]:
    """Seconds for the whole import, its final status, and either the cancel latency (when
    canceling) or the seconds from the import's end to the last preview made (they wait for it)."""
    async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
        started = time.perf_counter()
        job = await core.jobs.create(JOB_TYPE, {"path": str(folder)})
        if cancel_after is not None:
            await anyio.sleep(cancel_after)
            asked = time.perf_counter()
            await core.jobs.cancel(job.job_id)
            final = await finished(core, job.job_id)
            return time.perf_counter() - started, final, time.perf_counter() - asked
        final = await finished(core, job.job_id)
        took = time.perf_counter() - started
        while await core.previews.count_missing():  # noqa: ASYNC110 (a poll, as the bench user would)
            await anyio.sleep(0.1)
        return took, final, time.perf_counter() - started - took


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
    limit = exiftool_limit(folder, runs.parent)
    home = fresh_home(runs, name)
    took, status, previews = anyio.run(import_once, home, folder)
    database, packed, unpacked = database_growth(home)
    mb = size / 1e6
    cores = os.cpu_count() or 1
    print(f"\n{name}: {files} files, {mb:.1f} MB")
    print(rate_line("exiftool -json -r", reference, files, mb))
    print(rate_line(f"limit: -@ PARAMETERS x{cores}", limit, files, mb))
    print(rate_line(f"bulk import ({status})", took, files, mb))
    print(f"  import / exiftool -json -r  {reference / took:8.0%}")
    print(f"  import / limit              {limit / took:8.0%}  (target: 90%)")
    print(f"  previews, after the import  {previews:8.2f} s  (they wait while an import runs)")
    per_1000 = 1000 / files / 1e6
    print(
        f"  database per 1,000 files    {database * per_1000:8.2f} MB, of which ExifTool's output "
        f"{packed * per_1000:.2f} MB packed ({unpacked * per_1000:.2f} MB as JSON)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--camera", type=int, default=1_000, help="copies of the camera JPEG")
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
    camera = workdir / f"camera-{args.camera}"
    if not camera.exists():
        copy_camera_jpeg(camera, args.camera)
    runs = workdir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    started = time.time_ns()
    print(f"work folder: {workdir}")
    report("generated JPEGs", jpegs, runs)
    report("ExifTool samples", samples, runs)
    report("camera JPEGs", camera, runs)

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
