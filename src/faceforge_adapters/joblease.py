"""Which Core processes are alive, told by lock files in ``run/jobs/``.

Each process running jobs holds an exclusive lock on ``run/jobs/<owner_id>.lock`` for its lifetime.
The operating system drops the lock when the process dies (even on SIGKILL), so start-up recovery can
tell a dead owner's jobs (lock free) from a live server's (lock held) without guessing from time.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sys
from pathlib import Path
from typing import IO

_OWNER = re.compile(r"^core-\d+-[0-9a-f]{12}$")

if sys.platform.startswith("win"):
    import msvcrt

    def try_lock(handle: IO[bytes]) -> bool:
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(handle: IO[bytes]) -> None:
        with contextlib.suppress(OSError):
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class LockFileLiveness:
    """``OwnerLiveness`` over lock files; ``acquire()`` at start, ``release()`` at stop."""

    def __init__(self, run_dir: Path) -> None:
        self._dir = run_dir / "jobs"
        self._owner_id = f"core-{os.getpid()}-{secrets.token_hex(6)}"
        self._handle: IO[bytes] | None = None

    @property
    def owner_id(self) -> str:
        return self._owner_id

    def acquire(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        handle = (self._dir / f"{self._owner_id}.lock").open("wb")
        if not try_lock(handle):
            handle.close()
            raise RuntimeError(f"could not lock {self._owner_id}.lock")
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        unlock(self._handle)
        self._handle.close()
        self._handle = None
        (self._dir / f"{self._owner_id}.lock").unlink(missing_ok=True)

    def alive(self, owner_id: str) -> bool:
        if owner_id == self._owner_id:
            return self._handle is not None
        if not _OWNER.fullmatch(owner_id):  # not a lock-file owner: nothing can vouch for it
            return False
        path = self._dir / f"{owner_id}.lock"
        try:
            handle = path.open("rb+")
        except FileNotFoundError:
            return False
        with handle:
            if not try_lock(handle):
                return True
            unlock(handle)
        path.unlink(missing_ok=True)  # its process is gone: tidy the stale file
        return False
