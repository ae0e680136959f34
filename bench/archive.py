"""Memory and speed of ``GET /v1/assets/archive`` beside a plain download of the same file, same run.

Starts ``faceforge serve`` on a fresh home, stores one big file (``--mib``), then reads it back twice
while sampling the server's resident memory (``VmRSS`` every 20 ms): as a plain download (the
reference) and as a one-file ZIP archive. Prints, for each, the peak RSS growth over the RSS just before
and the MB/s. A streamed archive should grow no more than the plain download, whatever the file's size.

    python bench/archive.py [--mib 1024] [--verify]

Never fails on a number.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from servers import Server

MIB = 1024 * 1024


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def read_all(server: Server, path: str, keep: Path | None = None) -> int:
    request = urllib.request.Request(  # noqa: S310  (the loopback server started here)
        server.base + path, headers={"Authorization": f"Bearer {server.token}"}
    )
    total = 0
    with (
        urllib.request.urlopen(request, timeout=600) as response,  # noqa: S310
        (keep or Path(os.devnull)).open("wb") as out,
    ):
        while chunk := response.read(MIB):
            total += len(chunk)
            out.write(chunk)
    return total


def verify(server: Server, asset_id: str, big: Path) -> str:
    """The archive saved to disk and read back by Python's zipfile: CRC, size and zip64 use."""
    saved = big.with_suffix(".zip")
    read_all(server, f"/v1/assets/archive?id={asset_id}", keep=saved)
    with zipfile.ZipFile(saved) as archive:
        bad = archive.testzip()
        (info,) = archive.infolist()
        zip64 = info.file_size >= zipfile.ZIP64_LIMIT
    saved.unlink()
    ok = bad is None and info.file_size == big.stat().st_size
    return f"archive read back: {'intact' if ok else 'BROKEN'}, {info.file_size} bytes, zip64 {zip64}"


def measured(server: Server, path: str) -> tuple[float, float, int]:
    """(peak RSS growth in MiB, MB/s, bytes) while reading ``path`` to the end."""
    pid = server.process.pid
    before = rss_mib(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mib(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.perf_counter()
    size = read_all(server, path)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return peak[0] - before, size / seconds / 1e6, size


def store(server: Server, path: Path) -> str:
    with path.open("rb") as body:
        request = urllib.request.Request(  # noqa: S310
            f"{server.base}/v1/assets/upload?filename=big.bin",
            data=body,
            method="PUT",
            headers={
                "Authorization": f"Bearer {server.token}",
                "Content-Type": "application/octet-stream",
                "Content-Length": str(path.stat().st_size),
            },
        )
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
            return str(json.load(response)["data"]["asset_id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--verify", action="store_true", help="also save the archive and unzip-test it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        big = Path(scratch) / "big.bin"
        block = os.urandom(MIB)
        with big.open("wb") as out:
            for n in range(args.mib):
                out.write(n.to_bytes(8, "little") + block[8:])
        server = Server.faceforge(Path(scratch) / "home")
        try:
            asset_id = store(server, big)
            print(f"file: {args.mib} MiB; server RSS before reading: {rss_mib(server.process.pid):.0f} MiB")
            for label, path in (
                ("plain download (reference)", f"/v1/assets/{asset_id}/download"),
                ("ZIP archive", f"/v1/assets/archive?id={asset_id}"),
            ):
                growth, speed, size = measured(server, path)
                print(f"{label:28} peak RSS growth {growth:7.1f} MiB   {speed:7.0f} MB/s   {size} bytes")
            if args.verify:
                print(verify(server, asset_id, big))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
