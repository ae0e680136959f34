"""Cold start of the frozen Core beside ``faceforge serve`` from the venv, measured in the same run.

Each round starts both, in alternating order, against a fresh home (so migrations run, as at a first
start), and times from the process start to the first ``200`` from ``/healthz``; the frozen one runs with
``env -i HOME=<tmp> PATH=/usr/bin:/bin`` as a user's would. Also prints the frozen folder's size.

    python bench/frozen_start.py [--rounds 5]

The frozen folder comes from ``packaging/freeze_core.py`` (cached; built first if its inputs changed).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_FACEFORGE = Path(sys.executable).parent / "faceforge"


def frozen_faceforge() -> Path:
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "freeze_core.py"), "--print-path"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_to_healthy(executable: Path, env: dict[str, str], work: Path) -> float:
    """Seconds from spawning ``serve`` to a healthy ``/healthz``; the server is then stopped."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(executable), "serve", "--port", str(port)],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{executable} serve exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    frozen = frozen_faceforge()
    timings: dict[str, list[float]] = {"frozen": [], "venv": []}
    with tempfile.TemporaryDirectory(prefix="ff-bench-start-") as tmp:
        for round_no in range(args.rounds):
            order = ["frozen", "venv"] if round_no % 2 == 0 else ["venv", "frozen"]
            for way in order:
                work = Path(tmp) / f"{way}-{round_no}"
                (work / "user").mkdir(parents=True)
                home = work / "home"
                if way == "frozen":
                    env = {"HOME": str(work / "user"), "PATH": "/usr/bin:/bin", "FACEFORGE_HOME": str(home)}
                    executable = frozen
                else:
                    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
                    env["FACEFORGE_HOME"] = str(home)
                    executable = VENV_FACEFORGE
                timings[way].append(start_to_healthy(executable, env, work))
    for way, values in timings.items():
        print(
            f"{way:7} serve -> healthy /healthz: median {statistics.median(values):.2f} s "
            f"(min {min(values):.2f}, max {max(values):.2f}, {len(values)} cold starts)"
        )
    folder = frozen.parent
    print(f"frozen folder {folder}: {folder_size(folder) / 2**20:.0f} MiB in all")
    for part in ("_internal", "tools"):
        print(f"  {part}: {folder_size(folder / part) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
