"""Asset transfer and metadata benchmarks, each printed beside a reference measured in the same run.

1. Upload MB/s with curl (multipart and raw PUT) of a large file, beside a durable copy of the same
   file on the same disk (``dd bs=8M conv=fdatasync``: the guarantee an upload gives), in rounds of
   rotating order, each write starting from a settled disk. Target >= 75%.
2. The server's peak RSS growth during a very large upload. Target < 64 MiB.
3. Download MB/s with curl, beside nginx serving the same file with sendfile on loopback. Target >= 90%.
4. Metadata extraction files/s through the ExifTool pool, for generated JPEGs and the sample folder,
   beside ``exiftool -json -r`` over the same folder. Target >= 80%.

Usage: ``python bench/assets.py [--upload-gib 2] [--upload-rounds 3] [--rss-gib 5] [--jpegs 1000]
[--dir PATH] [--only upload,rss,download,metadata]``.
Benchmarks never fail on a number; they print what they measured.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio

from faceforge_adapters.exiftool import PARAMETERS, ExifToolPool

FACEFORGE = Path(sys.executable).parent / "faceforge"
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "exiftool-samples"
MIB = 1024 * 1024
GIB = 1024 * MIB


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (loopback, built here)
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


class FaceForgeServer:
    def __init__(self, home: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
        env["FACEFORGE_HOME"] = str(home)
        env["FACEFORGE_UPLOADS__MAX_BYTES"] = str(64 * GIB)
        self.log = (home.parent / "server.log").open("wb")
        self.process = subprocess.Popen(
            [str(FACEFORGE), "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_http(f"{self.base}/healthz", self.process)
        self.token = json.loads((home / "config" / "core.json").read_text())["auth"]["install_token"]
        self.auth = f"Authorization: Bearer {self.token}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def make_file(path: Path, size: int) -> Path:
    """Incompressible content without paying for ``os.urandom`` on every byte."""
    block = bytearray(os.urandom(64 * MIB))
    with path.open("wb") as out:
        written = 0
        while written < size:
            block[:8] = written.to_bytes(8, "little")  # every block differs, so nothing dedupes
            piece = block[: min(len(block), size - written)]
            out.write(piece)
            written += len(piece)
    return path


def timed(args: list[str], *, check: bool = True) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def rate(size: int, seconds: float) -> float:
    return size / MIB / seconds


def line(label: str, value: float, unit: str, reference: float | None = None, ref_label: str = "") -> None:
    text = f"  {label:44} {value:10.1f} {unit}"
    if reference:
        text += f"   reference {ref_label}: {reference:.1f} {unit} -> {100 * value / reference:.0f}%"
    print(text, flush=True)


UPLOAD_WAYS = ("dd", "multipart", "put")
# How long a deletion's space stays faster to write into on the development VM, with some margin.
SETTLE_SECONDS = 10


def bench_upload(work: Path, size: int, rounds: int) -> None:
    """dd, multipart and raw PUT of the same file, each from the same disk state, medians last.

    On some disks (this project's development VM among them) a write into space that a deleted file
    freed a few seconds ago runs several times faster than one into space freed long ago or never
    used, and the speed-up fades within seconds, so a slower writer gets less of it. So each measured
    write starts after ``sync`` and ``SETTLE_SECONDS`` of quiet, however recently something was
    deleted, and the order rotates each round.
    """
    print(f"upload of {size / GIB:.1f} GiB, {rounds} rounds")
    source = make_file(work / "upload.bin", size)
    copy = work / "dd.out"
    results: dict[str, list[float]] = {way: [] for way in UPLOAD_WAYS}
    for number in range(rounds):
        turn = number % len(UPLOAD_WAYS)
        order = UPLOAD_WAYS[turn:] + UPLOAD_WAYS[:turn]
        home = work / "upload-home"
        server = FaceForgeServer(home)
        try:
            for way in order:
                make_different(source)  # new content every time, so nothing dedupes
                os.sync()
                time.sleep(SETTLE_SECONDS)
                command = _dd_copy(source, copy) if way == "dd" else _curl_upload(way, server, source)
                results[way].append(rate(size, timed(command)))
                copy.unlink(missing_ok=True)
        finally:
            server.stop()
            shutil.rmtree(home)
        dd = results["dd"][-1]
        shares = ", ".join(f"{way} {100 * results[way][-1] / dd:.0f}%" for way in UPLOAD_WAYS[1:])
        rates = ", ".join(f"{way} {results[way][-1]:.0f}" for way in order)
        print(f"  round {number + 1}: {rates} MB/s ({shares} of dd)")
    dd, multipart, put = (statistics.median(results[way]) for way in UPLOAD_WAYS)
    print(f"  medians of {rounds} rounds:")
    line("dd conv=fdatasync (same disk)", dd, "MB/s")
    line("curl multipart upload", multipart, "MB/s", dd, "dd conv=fdatasync")
    line("curl raw PUT upload", put, "MB/s", dd, "dd conv=fdatasync")
    source.unlink()


def _dd_copy(source: Path, target: Path) -> list[str]:
    return ["dd", f"if={source}", f"of={target}", "bs=8M", "conv=fdatasync"]


def _curl_upload(way: str, server: FaceForgeServer, source: Path) -> list[str]:
    url = f"{server.base}/v1/assets/upload"
    if way == "multipart":
        return ["curl", "-fsS", "-H", server.auth, "-F", f"file=@{source}", url]
    return ["curl", "-fsS", "-H", server.auth, "-T", str(source), f"{url}?filename=put.bin"]


def make_different(path: Path) -> None:
    """Change the first bytes in place, so the next upload stores new content (no dedupe)."""
    with path.open("r+b") as handle:
        handle.write(os.urandom(16))


def rss_kib(pid: int) -> int:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1])
    return 0


@contextmanager
def peak_rss(pid: int) -> Iterator[list[int]]:
    peak = [rss_kib(pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def bench_rss(server: FaceForgeServer, work: Path, size: int) -> None:
    print(f"server memory during a {size / GIB:.1f} GiB upload")
    source = make_file(work / "rss.bin", size)
    url = f"{server.base}/v1/assets/upload"
    subprocess.run(
        ["curl", "-sS", "-H", server.auth, "-F", "file=@/etc/hostname", url], check=True, capture_output=True
    )
    baseline = rss_kib(server.process.pid)
    with peak_rss(server.process.pid) as peak:
        subprocess.run(
            ["curl", "-sS", "-H", server.auth, "-F", f"file=@{source}", url], check=True, capture_output=True
        )
    print(f"  baseline RSS {baseline / 1024:.1f} MiB, peak {peak[0] / 1024:.1f} MiB")
    line("peak RSS growth (target < 64 MiB)", (peak[0] - baseline) / 1024, "MiB")
    source.unlink()


NGINX_CONF = """
daemon off; worker_processes 1; pid {dir}/nginx.pid; error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off; sendfile on; tcp_nopush on;
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fcgi;
  uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  server {{ listen 127.0.0.1:{port}; root {dir}/www; location / {{ }} }}
}}
"""


def bench_download(server: FaceForgeServer, work: Path, size: int) -> None:
    print(f"download of {size / GIB:.1f} GiB")
    source = make_file(work / "download.bin", size)
    done = subprocess.run(
        [
            "curl",
            "-sS",
            "-H",
            server.auth,
            "-T",
            str(source),
            f"{server.base}/v1/assets/upload?filename=dl.bin",
        ],
        check=True,
        capture_output=True,
    )
    asset_id = json.loads(done.stdout)["data"]["asset_id"]
    url = f"{server.base}/v1/assets/{asset_id}/download"
    subprocess.run(["curl", "-sS", "-H", server.auth, "-o", os.devnull, url], check=True)  # warm the cache
    ours = rate(size, timed(["curl", "-sS", "-H", server.auth, "-o", os.devnull, url]))
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    reference = None
    if nginx is None:
        print("  nginx is not installed (apt-get install nginx): no reference")
    else:
        ngx = work / "nginx"
        (ngx / "www").mkdir(parents=True)
        work.chmod(0o755)  # nginx's workers run as an unprivileged user and must reach the file
        ngx.chmod(0o755)
        os.link(source, ngx / "www" / "file.bin")
        port = free_port()
        (ngx / "nginx.conf").write_text(NGINX_CONF.format(dir=ngx, port=port))
        process = subprocess.Popen(
            [nginx, "-p", str(ngx), "-c", str(ngx / "nginx.conf")], stderr=subprocess.DEVNULL
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/file.bin", process)
            reference = rate(
                size, timed(["curl", "-sS", "-o", os.devnull, f"http://127.0.0.1:{port}/file.bin"])
            )
        finally:
            process.terminate()
            process.wait(timeout=10)
    line("curl download", ours, "MB/s", reference, "nginx sendfile")
    source.unlink()


def make_jpegs(folder: Path, count: int) -> Path:
    """``count`` distinct JPEGs: a sample photo with a unique trailer each."""
    folder.mkdir(parents=True, exist_ok=True)
    base = (SAMPLES / "Apple.jpg").read_bytes()
    for i in range(count):
        (folder / f"photo_{i:05d}.jpg").write_bytes(base + f"trailer {i}".encode())
    return folder


async def pool_rates(exiftool: Path, files: list[Path], workers: int) -> tuple[float, float]:
    """Files/s through the pool: a first pass that starts its workers, then a pass on warm workers.

    Callers ask as the metadata runner does: up to ``workers * batch_files`` files at once, so each
    worker gets whole batches.
    """
    pool = ExifToolPool(exiftool, workers)
    limiter = anyio.CapacityLimiter(workers * pool.batch_files)
    sizes = {path: path.stat().st_size for path in files}

    async def one(path: Path) -> None:
        async with limiter:
            await pool.run(path, limit_s=120, size_bytes=sizes[path])

    async def one_pass() -> float:
        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for path in files:
                group.start_soon(one, path)
        return len(files) / (time.perf_counter() - started)

    try:
        return await one_pass(), await one_pass()
    finally:
        await pool.aclose()


def bench_metadata(work: Path, jpegs: int) -> None:
    exiftool = shutil.which("exiftool")
    if exiftool is None:
        print("metadata: exiftool is not installed")
        return
    workers = os.cpu_count() or 1
    print(f"metadata extraction ({workers} workers)")
    argfile = work / "parameters.args"  # the product's parameters, without the one-shot "--"
    argfile.write_text("\n".join(PARAMETERS) + "\n")
    for label, folder in (
        (f"{jpegs} generated JPEGs", make_jpegs(work / "jpegs", jpegs)),
        ("the sample folder", SAMPLES),
    ):
        files = sorted(p.absolute() for p in folder.rglob("*") if p.is_file())
        megabytes = sum(p.stat().st_size for p in files) / 1e6
        # exiftool exits 1 when some file had an error; it still printed everything it read.
        plain = len(files) / timed([exiftool, "-json", "-r", str(folder)], check=False)
        same_args = len(files) / timed([exiftool, "-@", str(argfile), "-r", str(folder)], check=False)
        cold, warm = anyio.run(pool_rates, Path(exiftool), files, workers)
        print(f"  {label}: {len(files)} files, {megabytes:.1f} MB", flush=True)
        for pass_label, ours in (("starting its workers", cold), ("warm workers", warm)):
            mb_s = ours * megabytes / len(files)
            line(f"pool, {pass_label} ({mb_s:.2f} MB/s)", ours, "files/s", plain, "exiftool -json -r")
        line("pool, warm workers", warm, "files/s", same_args, "exiftool -@ PARAMETERS -r")
        line("exiftool -json -r (MB/s)", plain * megabytes / len(files), "MB/s")


PARTS = ("upload", "rss", "download", "metadata")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upload-gib", type=float, default=2)
    parser.add_argument("--upload-rounds", type=int, default=3)
    parser.add_argument("--rss-gib", type=float, default=5)
    parser.add_argument("--download-gib", type=float, default=2)
    parser.add_argument("--jpegs", type=int, default=1000)
    parser.add_argument(
        "--dir", type=Path, default=None, help="work folder (default: a temp dir on /tmp's disk)"
    )
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run (default: all of {', '.join(PARTS)})",
    )
    args = parser.parse_args()
    parts = set(args.only.split(","))
    if not parts <= set(PARTS):
        parser.error(f"--only takes parts among {', '.join(PARTS)}")
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="ffbench-") as tmp:
        work = Path(tmp)
        if "upload" in parts:
            bench_upload(work, int(args.upload_gib * GIB), args.upload_rounds)
        if parts & {"rss", "download"}:
            server = FaceForgeServer(work / "home")
            try:
                if "rss" in parts:
                    bench_rss(server, work, int(args.rss_gib * GIB))
                if "download" in parts:
                    bench_download(server, work, int(args.download_gib * GIB))
            finally:
                server.stop()
        if "metadata" in parts:
            bench_metadata(work, args.jpegs)


if __name__ == "__main__":
    main()
