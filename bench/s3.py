"""Uploads routed to S3 (the managed SeaweedFS) beside the filesystem provider, in the same run.

Two real servers (``faceforge serve``) on the same disk: one storing on the filesystem, one with
``seaweed.enabled`` and ``storage.routing.default_provider = "s3"`` (Core starts its own weed).
For each, a raw PUT upload of the same-size file with curl, then a download; printed as MB/s with
the filesystem provider as the reference, plus the server's and weed's peak RSS growth during the
upload (memory must stay flat: S3 uploads are streamed a few parts at a time).

Beside them, the plain S3 clients on the same weed in the same run: boto3's ``upload_file`` with the
same part size as Core's (``storage.s3.part_size_bytes``) and its default concurrency, and a plain GET
of the object with ``curl --aws-sigv4`` (the tool that downloads from Core too).

``--only download`` skips the filesystem server and the uploads' comparison: one S3 upload, then
``--rounds`` alternating downloads of the same object, through Core and with ``curl --aws-sigv4``
straight from weed (after one warm-up of each), printed as medians (a faster loop while tuning).

Usage: ``python bench/s3.py [--gib 2] [--dir PATH] [--only download [--rounds 5]]``. Never fails on a
number.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig

from assets import (
    FACEFORGE,
    GIB,
    free_port,
    line,
    make_different,
    make_file,
    peak_rss,
    rate,
    rss_kib,
    timed,
    wait_http,
)
from faceforge_adapters.config import S3Config
from faceforge_adapters.seaweed.process import GRPC_OFFSET
from faceforge_adapters.seaweed.supervisor import port_in_use


def seaweed_ports() -> list[int]:
    """Four consecutive free ports whose gRPC twins (+10000) are free too, all below the ports
    outgoing connections take (32768 up), so none is taken between this check and weed's start."""
    for base in range(12000, 22000, 7):
        ports = [base + i for i in range(4)]
        if not any(port_in_use("127.0.0.1", p) or port_in_use("127.0.0.1", p + GRPC_OFFSET) for p in ports):
            return ports
    raise RuntimeError("no free ports for seaweedfs")


class Server:
    """``faceforge serve`` in its own home, with extra settings from the environment."""

    def __init__(self, home: Path, extra_env: dict[str, str]) -> None:
        self.home = home
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
        env |= {"FACEFORGE_HOME": str(home), "FACEFORGE_UPLOADS__MAX_BYTES": str(64 * GIB)}
        env |= {"FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false", **extra_env}
        home.mkdir(parents=True, exist_ok=True)
        self.log = (home.parent / f"{home.name}.log").open("wb")
        self.process = subprocess.Popen(
            [str(FACEFORGE), "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_http(f"{self.base}/healthz", self.process)
        token = json.loads((home / "config" / "core.json").read_text())["auth"]["install_token"]
        self.auth = f"Authorization: Bearer {token}"

    def weed_pid(self) -> int | None:
        pid_file = self.home / "run" / "seaweedfs.pid"
        return json.loads(pid_file.read_text())["pid"] if pid_file.exists() else None

    def upload(self, source: Path) -> tuple[float, dict[str, Any]]:
        """Seconds for a raw PUT of ``source``, and the stored asset's record."""
        url = f"{self.base}/v1/assets/upload?filename={source.name}"
        out = self.home.parent / "response.json"
        seconds = timed(["curl", "-sS", "-o", str(out), "-H", self.auth, "-T", str(source), url])
        data = json.loads(out.read_text())["data"]
        return seconds, data.get("asset", data)

    def warm_up(self) -> None:
        """A first upload: the first request, Core's S3 client and the bucket are made before timing."""
        self.upload(Path("/etc/hostname"))

    def download_seconds(self, asset_id: str) -> float:
        url = f"{self.base}/v1/assets/{asset_id}/download"
        return timed(["curl", "-sS", "-f", "-H", self.auth, "-o", os.devnull, url])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()


def s3_server(work: Path) -> tuple[Server, int]:
    """A server storing to S3 on a weed of its own, and that weed's S3 port."""
    master, volume, filer, s3 = seaweed_ports()
    s3_env = {
        "FACEFORGE_SEAWEED__ENABLED": "true",
        "FACEFORGE_SEAWEED__MASTER_PORT": str(master),
        "FACEFORGE_SEAWEED__VOLUME_PORT": str(volume),
        "FACEFORGE_SEAWEED__FILER_PORT": str(filer),
        "FACEFORGE_NETWORK__SEAWEED_S3_PORT": str(s3),
        "FACEFORGE_STORAGE__ROUTING__DEFAULT_PROVIDER": "s3",
    }
    return Server(work / "s3-home", s3_env), s3


def measure(server: Server, source: Path, size: int) -> dict[str, float]:
    server.warm_up()
    baseline = rss_kib(server.process.pid)
    weed = server.weed_pid()
    weed_baseline = rss_kib(weed) if weed else 0
    with peak_rss(server.process.pid) as peak, peak_rss(weed or server.process.pid) as weed_peak:
        seconds, asset = server.upload(source)
    storage = asset.get("storage", {})
    print(f"  stored on: {storage}", flush=True)
    server.download_seconds(str(asset["asset_id"]))  # warm the page cache / weed's cache
    return {
        "upload": rate(size, seconds),
        "download": rate(size, server.download_seconds(str(asset["asset_id"]))),
        "rss": (peak[0] - baseline) / 1024,
        "weed_rss": (weed_peak[0] - weed_baseline) / 1024 if weed else 0.0,
    }


def s3_config(home: Path) -> S3Config:
    return S3Config(**json.loads((home / "config" / "core.json").read_text())["storage"]["s3"])


def signed_get(s3: S3Config, endpoint: str, key: str) -> list[str]:
    """A plain S3 GET of ``key`` with curl, its output thrown away."""
    get = ["curl", "-sS", "-f", "--aws-sigv4", f"aws:amz:{s3.region}:s3", "--user"]
    return [*get, f"{s3.access_key}:{s3.secret_key}", "-o", os.devnull, f"{endpoint}/{s3.bucket}/{key}"]


def plain_s3(home: Path, port: int, source: Path, size: int) -> dict[str, float]:
    """boto3 ``upload_file`` (Core's part size) and a signed curl GET, on the weed Core started."""
    s3 = s3_config(home)
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=s3.access_key,
        aws_secret_access_key=s3.secret_key,
        region_name=s3.region,
        config=BotoConfig(s3={"addressing_style": "path"}),
    )
    key = "bench/plain-client.bin"
    transfer = TransferConfig(multipart_threshold=s3.part_size_bytes, multipart_chunksize=s3.part_size_bytes)
    started = time.perf_counter()
    client.upload_file(str(source), s3.bucket, key, Config=transfer)
    upload = rate(size, time.perf_counter() - started)
    get = signed_get(s3, endpoint, key)
    timed(get)  # warm weed's cache as Core's download was
    download = rate(size, timed(get))
    client.delete_object(Bucket=s3.bucket, Key=key)
    return {"upload": upload, "download": download}


def downloads_only(on_s3: Server, s3_port: int, source: Path, size: int, rounds: int) -> None:
    """Core's download of one S3-stored asset and curl's GET of the same object, rounds alternating."""
    on_s3.warm_up()
    _, asset = on_s3.upload(source)
    asset_id, key = str(asset["asset_id"]), str(asset["storage"]["key"])
    get = signed_get(s3_config(on_s3.home), f"http://127.0.0.1:{s3_port}", key)
    on_s3.download_seconds(asset_id)  # warm weed's cache and Core's S3 connection
    timed(get)
    core, plain = [], []
    for _ in range(rounds):
        core.append(rate(size, on_s3.download_seconds(asset_id)))
        plain.append(rate(size, timed(get)))
    print(f"  Core: {' '.join(f'{r:.0f}' for r in core)}; curl: {' '.join(f'{r:.0f}' for r in plain)}")
    line(
        f"download from S3, median of {rounds}",
        statistics.median(core),
        "MB/s",
        statistics.median(plain),
        "curl S3 GET",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gib", type=float, default=2)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    parser.add_argument("--only", choices=["download"], default=None, help="only the S3 downloads")
    parser.add_argument("--rounds", type=int, default=5, help="download rounds with --only download")
    args = parser.parse_args()
    size = int(args.gib * GIB)
    work = Path(tempfile.mkdtemp(prefix="ff-bench-s3-", dir=args.dir))
    try:
        source = make_file(work / "upload.bin", size)
        if args.only == "download":
            on_s3, s3_port = s3_server(work)
            try:
                downloads_only(on_s3, s3_port, source, size, args.rounds)
            finally:
                on_s3.stop()
            return
        print(f"upload and download of {size / GIB:.1f} GiB, raw PUT with curl", flush=True)
        fs = Server(work / "fs-home", {})
        try:
            fs_figures = measure(fs, source, size)
        finally:
            fs.stop()
        make_different(source)
        on_s3, s3 = s3_server(work)
        try:
            s3_figures = measure(on_s3, source, size)
            plain = plain_s3(on_s3.home, s3, source, size)
        finally:
            on_s3.stop()
        line(
            "upload routed to S3 (SeaweedFS)",
            s3_figures["upload"],
            "MB/s",
            fs_figures["upload"],
            "filesystem",
        )
        line(
            "upload routed to S3 (SeaweedFS)",
            s3_figures["upload"],
            "MB/s",
            plain["upload"],
            "boto3 upload_file",
        )
        line(
            "download from S3 (SeaweedFS)",
            s3_figures["download"],
            "MB/s",
            fs_figures["download"],
            "filesystem",
        )
        line("download from S3 (SeaweedFS)", s3_figures["download"], "MB/s", plain["download"], "curl S3 GET")
        line(
            "server peak RSS growth, S3 upload",
            s3_figures["rss"],
            "MiB",
            fs_figures["rss"] or None,
            "fs upload",
        )
        line("weed peak RSS growth, S3 upload", s3_figures["weed_rss"], "MiB")
        print(
            f"  filesystem provider: upload {fs_figures['upload']:.1f} MB/s, server RSS growth "
            f"{fs_figures['rss']:.1f} MiB",
            flush=True,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
