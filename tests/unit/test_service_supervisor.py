"""A background service that fails after it started is logged and restarted; one failing at start stops it."""

from __future__ import annotations

import logging

import anyio
import pytest
from anyio.abc import TaskStatus

from faceforge_adapters.lifecycle import supervised

pytestmark = pytest.mark.anyio


async def test_a_service_failing_after_start_is_restarted_and_reports_started_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[int] = []
    finished = anyio.Event()

    async def flaky(*, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        runs.append(len(runs))
        task_status.started()
        if len(runs) < 3:
            raise ConnectionError("endpoint went away")
        finished.set()

    with caplog.at_level(logging.ERROR, "faceforge.core"):
        async with anyio.create_task_group() as group:
            await group.start(supervised("previews", flaky, restart_after_s=0.01))
            with anyio.fail_after(5):
                await finished.wait()
    assert runs == [0, 1, 2]
    failures = [r for r in caplog.records if r.getMessage() == "background service failed; restarting it"]
    assert [r.service for r in failures] == ["previews", "previews"]  # type: ignore[attr-defined]
    assert [r.after_s for r in failures] == [0.01, 0.02]  # type: ignore[attr-defined]


async def test_a_service_failing_before_it_started_stops_the_start_up() -> None:
    async def broken(*, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        raise RuntimeError("cannot open the database")

    with pytest.RaisesGroup(pytest.RaisesExc(RuntimeError, match="cannot open the database")):
        async with anyio.create_task_group() as group:
            await group.start(supervised("metadata", broken, restart_after_s=0.01))


async def test_cancelling_a_supervised_service_stops_it_without_a_restart() -> None:
    runs: list[int] = []

    async def forever(*, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        runs.append(1)
        task_status.started()
        await anyio.sleep_forever()

    async with anyio.create_task_group() as group:
        await group.start(supervised("jobs", forever, restart_after_s=0.01))
        group.cancel_scope.cancel()
    assert runs == [1]
