"""The managed weed: start, refuse anonymous S3, restart after a crash, adopt or stop leftovers."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import psutil
import pytest
from botocore.exceptions import ClientError

from faceforge_adapters.bootstrap import bootstrap
from faceforge_adapters.seaweed.process import (
    SeaweedError,
    SeaweedSettings,
    read_pid_file,
    running_weed,
    spawn,
    terminate,
)
from faceforge_adapters.seaweed.supervisor import ManagedSeaweed
from seaweed_fixtures import s3_client, seaweed_settings

pytestmark = pytest.mark.anyio


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def seaweed_log() -> Iterator[Records]:
    handler = Records()
    logger = logging.getLogger("faceforge.seaweed")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.setLevel(previous)
    logger.removeHandler(handler)


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[SeaweedSettings]:
    made = seaweed_settings(tmp_path / "sw")
    yield made
    found = running_weed(made)
    if found is not None:  # never leave a weed behind, whatever the test did
        found[0].kill()


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def wait_for(condition: Callable[[], Awaitable[bool]]) -> None:
    with anyio.fail_after(60):
        while not await condition():  # noqa: ASYNC110 - polling a process, no event to wait on
            await anyio.sleep(0.2)


@pytest.mark.slow
async def test_starts_healthy_refuses_anonymous_s3_and_stops_cleanly(settings: SeaweedSettings) -> None:
    managed = ManagedSeaweed(settings)
    await managed.start()
    pid = managed.pid
    assert pid is not None
    assert await managed.healthy()
    record = read_pid_file(settings)
    assert record is not None
    assert (record.pid, record.owner_pid) == (pid, os.getpid())
    listening = {c.laddr.ip for c in psutil.Process(pid).net_connections() if c.status == psutil.CONN_LISTEN}
    assert listening == {"127.0.0.1"}
    with pytest.raises(ClientError) as refused:
        s3_client(settings, anonymous=True).list_buckets()  # type: ignore[attr-defined]
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    await managed.stop()  # SIGTERM and wait: weed's own graceful stop takes ~15 s
    assert gone(pid)
    assert not settings.pid_file.exists()


async def test_supervisor_restarts_a_killed_weed_and_logs_it(
    settings: SeaweedSettings, seaweed_log: Records
) -> None:
    managed = ManagedSeaweed(settings, poll_interval=0.1, stop_timeout=1)
    async with anyio.create_task_group() as tg:
        await tg.start(managed.run)
        first = managed.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)

        async def replaced() -> bool:
            return managed.restarts == 1 and managed.pid != first and await managed.healthy()

        await wait_for(replaced)
        record = read_pid_file(settings)
        assert record is not None
        assert record.pid == managed.pid
        tg.cancel_scope.cancel()
    assert any("restarting" in m for m in seaweed_log.messages)
    assert any("seaweedfs restarted" in m for m in seaweed_log.messages)
    assert not settings.pid_file.exists()


def managed_env(settings: SeaweedSettings, home: Path) -> dict[str, str]:
    """The environment of a Core on ``home`` that manages a weed on ``settings``' ports."""
    return {
        **os.environ,
        "FACEFORGE_HOME": str(home),
        "FACEFORGE_SEAWEED__ENABLED": "true",
        "FACEFORGE_SEAWEED__MASTER_PORT": str(settings.ports.master),
        "FACEFORGE_SEAWEED__VOLUME_PORT": str(settings.ports.volume),
        "FACEFORGE_SEAWEED__FILER_PORT": str(settings.ports.filer),
        "FACEFORGE_NETWORK__SEAWEED_S3_PORT": str(settings.ports.s3),
        "FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false",
    }


@pytest.mark.slow
async def test_core_exits_only_once_the_weed_it_started_has_exited(
    settings: SeaweedSettings, home: Path
) -> None:
    async with bootstrap(home=home, env=managed_env(settings, home), run_jobs=False) as core:
        assert core.seaweed is not None
        pid = core.seaweed.pid
        assert pid is not None
        assert await core.seaweed.healthy()
    assert gone(pid)  # not "soon": already, as the context exits
    assert read_pid_file(core.seaweed.settings) is None


async def test_a_stop_during_start_up_still_stops_the_weed_being_started(settings: SeaweedSettings) -> None:
    managed = ManagedSeaweed(settings, stop_timeout=1)
    async with anyio.create_task_group() as group:
        group.start_soon(managed.run)
        with anyio.fail_after(30):
            while read_pid_file(settings) is None:  # noqa: ASYNC110 - polling a file another task writes
                await anyio.sleep(0.01)
        record = read_pid_file(settings)
        group.cancel_scope.cancel()  # long before weed answers
    assert record is not None
    assert gone(record.pid)
    assert read_pid_file(settings) is None


@pytest.mark.slow
async def test_a_weed_left_by_a_killed_core_is_stopped_on_the_next_start(
    settings: SeaweedSettings, home: Path
) -> None:
    env = managed_env(settings, home)
    script = (
        "import anyio\n"
        "from faceforge_adapters.bootstrap import bootstrap\n"
        "async def main():\n"
        "    async with bootstrap(run_jobs=False) as core:\n"
        "        print(core.seaweed.pid, flush=True)\n"
        "        await anyio.sleep(600)\n"
        "anyio.run(main)\n"
    )
    core = await anyio.to_thread.run_sync(
        lambda: subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
    )
    orphan_pid = 0
    try:
        assert core.stdout is not None
        orphan_pid = int(await anyio.to_thread.run_sync(core.stdout.readline))
        core.kill()  # Core dies without stopping its weed
        core.wait(10)
        assert not gone(orphan_pid)

        async with bootstrap(home=home, env=env, run_jobs=False) as again:
            assert again.seaweed is not None
            again.seaweed.stop_timeout = 1
            new_pid = again.seaweed.pid
            assert await again.seaweed.healthy()
        assert new_pid not in (None, orphan_pid)
        assert gone(orphan_pid)
        assert new_pid is not None
        assert gone(new_pid)
    finally:
        core.kill()
        if orphan_pid and not gone(orphan_pid):
            psutil.Process(orphan_pid).kill()


async def test_a_detached_weed_is_adopted_and_left_running(settings: SeaweedSettings) -> None:
    proc = spawn(settings, owner_pid=None)
    try:
        managed = ManagedSeaweed(settings, stop_timeout=1)
        await managed.start()
        assert managed.adopted
        assert managed.pid == proc.pid
        await managed.stop()
        assert proc.poll() is None
    finally:
        terminate(proc, 1)


async def test_a_busy_port_is_a_clear_error_and_starts_nothing(settings: SeaweedSettings) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", settings.ports.s3))
        squatter.listen()
        with pytest.raises(SeaweedError, match=str(settings.ports.s3)):
            await ManagedSeaweed(settings).start()
    assert not settings.pid_file.exists()
    assert running_weed(settings) is None
