"""``build_core`` wires Core and starts nothing; ``core.lifecycle`` starts the background services by name."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import psutil
import pytest

from faceforge_adapters.bootstrap import build_core
from faceforge_adapters.lifecycle import SERVICE_NAMES
from faceforge_domain.errors import NotFound
from faceforge_domain.services.assets import IngestOptions

pytestmark = pytest.mark.anyio


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def children() -> set[int]:
    return {child.pid for child in psutil.Process().children(recursive=True)}


async def test_build_core_starts_no_task_and_no_child_process(home: Path) -> None:
    tasks_before, children_before = len(asyncio.all_tasks()), children()
    async with build_core(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
        stored = await core.assets.ingest(one_chunk(b"hello"), IngestOptions(filename="a.txt"))
        await anyio.sleep(0.2)  # a started runner would have taken it by now
        assert len(asyncio.all_tasks()) == tasks_before
        assert children() == children_before
        assert (await core.assets.get(stored.asset.asset_id)).metadata_status == "pending"
        assert set(core.lifecycle.services) == set(SERVICE_NAMES) - {"seaweed"}  # seaweed is disabled


async def test_running_starts_the_named_services_and_stops_them_on_exit(home: Path) -> None:
    async with build_core(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
        stored = await core.assets.ingest(one_chunk(b"hello"), IngestOptions(filename="a.txt"))
        tasks_before = len(asyncio.all_tasks())
        async with core.lifecycle.running({"metadata"}):
            assert len(asyncio.all_tasks()) > tasks_before
            await core.metadata.wait_idle()  # the pending asset was queued at start
            assert (await core.assets.get(stored.asset.asset_id)).metadata_status != "pending"
        assert len(asyncio.all_tasks()) == tasks_before


async def test_an_unknown_service_is_refused_before_anything_starts(home: Path) -> None:
    async with build_core(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
        tasks_before = len(asyncio.all_tasks())
        with pytest.raises(ValueError, match=r"unknown background service \['metdata'\]; known: tmp_sweep"):
            async with core.lifecycle.running({"metdata", "jobs"}):
                pass
        assert len(asyncio.all_tasks()) == tasks_before


async def test_an_error_in_the_block_comes_out_as_itself_and_the_services_stop(home: Path) -> None:
    async with build_core(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
        tasks_before = len(asyncio.all_tasks())
        with pytest.raises(NotFound):
            async with core.lifecycle.running():
                await core.entities.get("0" * 64)
        assert len(asyncio.all_tasks()) == tasks_before


async def test_leaving_build_core_releases_the_lock_and_removes_the_tmp_folder(home: Path) -> None:
    async with build_core(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
        (lock,) = (home / "run" / "jobs").glob("core-*.lock")
        scratch = home / "tmp" / lock.stem
        await core.assets.ingest(one_chunk(b"x" * 10), IngestOptions(filename="b.bin"))
        scratch.mkdir(exist_ok=True)
    assert list((home / "run" / "jobs").iterdir()) == []
    assert not scratch.exists()
