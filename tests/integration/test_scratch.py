"""Temporary files by owner: a dead process's are removed at the next start, a live one's never."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from faceforge_adapters.bootstrap import bootstrap
from faceforge_adapters.joblease import LockFileLiveness
from faceforge_adapters.scratch import leftover_usage, leftovers, process_tmp, sweep_leftovers

pytestmark = pytest.mark.anyio

# A Core-like process: takes its lock, writes a half upload and a staging folder, then waits.
OWNER_SCRIPT = """
import sys, time
from pathlib import Path
from faceforge_adapters.joblease import LockFileLiveness
from faceforge_adapters.scratch import process_tmp
run_dir, tmp_dir = Path(sys.argv[1]), Path(sys.argv[2])
liveness = LockFileLiveness(run_dir)
liveness.acquire()
folder = process_tmp(tmp_dir, liveness.owner_id)
(folder / "exiftool" / "batch-1").mkdir(parents=True)
(folder / "exiftool" / "batch-1" / "photo.jpg").write_bytes(b"j" * 300)
(folder / "upload-0.part").write_bytes(b"u" * 700)
print(liveness.owner_id, flush=True)
time.sleep(600)
"""


def test_dead_owners_and_unowned_entries_go_live_owners_and_uploads_stay(tmp_path: Path) -> None:
    run_dir, tmp = tmp_path / "run", tmp_path / "tmp"
    live = LockFileLiveness(run_dir)
    live.acquire()
    try:
        (process_tmp(tmp, live.owner_id) / "exiftool").mkdir(parents=True)
        dead = tmp / "core-4242-0123456789ab"  # no lock file: its process is gone
        (dead / "exiftool" / "batch-7").mkdir(parents=True)
        (dead / "upload-3.part").write_bytes(b"half")
        (tmp / "upload-old.part").write_bytes(b"from an earlier version")
        (tmp / "stage-old.part").write_bytes(b"s3 staging")
        (tmp / "exiftool" / "batch-old").mkdir(parents=True)
        (tmp / "uploads" / "abc").mkdir(parents=True)
        (tmp / "uploads" / "abc" / "data").write_bytes(b"a resumable upload outlives its process")
        (tmp / "notes.txt").write_bytes(b"not ours to judge")

        assert leftover_usage(tmp, live.alive).entries == 4
        removed = sweep_leftovers(tmp, live.alive)
        assert sorted(p.name for p in removed) == [dead.name, "exiftool", "stage-old.part", "upload-old.part"]
        assert sorted(p.name for p in tmp.iterdir()) == sorted([live.owner_id, "notes.txt", "uploads"])
        assert (tmp / "uploads" / "abc" / "data").exists()
    finally:
        live.release()


async def test_a_process_killed_with_sigkill_leaves_a_folder_known_dead_at_once(tmp_path: Path) -> None:
    run_dir, tmp = tmp_path / "run", tmp_path / "tmp"
    owner = await anyio.to_thread.run_sync(
        lambda: subprocess.Popen(
            [sys.executable, "-c", OWNER_SCRIPT, str(run_dir), str(tmp)], stdout=subprocess.PIPE, text=True
        )
    )
    try:
        assert owner.stdout is not None
        owner_id = (await anyio.to_thread.run_sync(owner.stdout.readline)).strip()
        observer = LockFileLiveness(run_dir)
        assert leftovers(tmp, observer.alive) == []  # alive: its files are its own
        os.kill(owner.pid, signal.SIGKILL)
        await anyio.to_thread.run_sync(owner.wait)
        usage = leftover_usage(tmp, observer.alive)
        assert (usage.entries, usage.bytes) == (1, 1000)
        assert sweep_leftovers(tmp, observer.alive) == [tmp / owner_id]
        assert list(tmp.iterdir()) == []
    finally:
        owner.kill()


async def test_a_second_core_on_the_same_home_keeps_the_first_ones_files(home: Path) -> None:
    env = {"FACEFORGE_HOME": str(home)}
    async with bootstrap(home=home, env=env, run_jobs=False):
        (lock,) = (home / "run" / "jobs").glob("core-*.lock")  # the first Core's owner id
        mine = process_tmp(home / "tmp", lock.stem)
        mine.mkdir()
        (mine / "upload-0.part").write_bytes(b"in progress")
        async with bootstrap(home=home, env=env, run_jobs=False):
            assert (mine / "upload-0.part").read_bytes() == b"in progress"
        assert (mine / "upload-0.part").exists()
    assert list((home / "tmp").iterdir()) == []  # each Core removes its own folder as it stops
