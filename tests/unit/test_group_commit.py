"""Group commit: concurrent records share transactions, and each caller gets exactly its own outcome."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.errors import DomainError, NotFound
from faceforge_domain.services.group_commit import GroupCommit

pytestmark = pytest.mark.anyio


class Table:
    """A fake transactional table: a write is all or nothing; it can be held open or made to fail."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.transactions: list[list[int]] = []
        self.hold = anyio.Event()
        self.hold.set()
        self.writing = anyio.Event()
        self.fail_next = False

    async def write(self, items: Sequence[int]) -> list[str | Exception]:
        self.writing.set()
        await self.hold.wait()
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk I/O error")
        self.transactions.append(list(items))
        outcomes: list[str | Exception] = []
        for item in items:
            if item < 0:
                outcomes.append(NotFound("entity", str(item)))
            else:
                self.rows.append(item)
                outcomes.append(f"row {item}")
        return outcomes


async def submit_all(commit: GroupCommit[int, str], items: list[int]) -> dict[int, str | Exception]:
    answers: dict[int, str | Exception] = {}

    async def one(item: int) -> None:
        try:
            answers[item] = await commit.submit(item)
        except Exception as exc:  # noqa: BLE001  (the answer under test)
            answers[item] = exc

    async with anyio.create_task_group() as group:
        for item in items:
            group.start_soon(one, item)
    return answers


async def held_first(table: Table, commit: GroupCommit[int, str], group: anyio.abc.TaskGroup) -> None:
    """Start a write of item 0 and hold its transaction open, so the next callers queue up."""
    table.hold = anyio.Event()
    group.start_soon(commit.submit, 0)
    await table.writing.wait()


async def test_waiting_records_share_one_transaction_and_each_caller_gets_its_own() -> None:
    table = Table()
    commit = GroupCommit(table.write)
    async with anyio.create_task_group() as group:
        await held_first(table, commit, group)
        answers: dict[int, str | Exception] = {}

        async def one(item: int) -> None:
            answers[item] = await commit.submit(item)

        for item in (1, 2, 3):
            group.start_soon(one, item)
        await anyio.sleep(0.05)
        table.hold.set()
    assert table.transactions == [[0], [1, 2, 3]]
    assert answers == {1: "row 1", 2: "row 2", 3: "row 3"}


async def test_a_record_refused_goes_to_its_caller_alone() -> None:
    table = Table()
    commit = GroupCommit(table.write)
    async with anyio.create_task_group() as group:
        await held_first(table, commit, group)
        answers: dict[int, str | Exception] = {}

        async def run() -> None:
            answers.update(await submit_all(commit, [1, -2, 3]))

        group.start_soon(run)
        await anyio.sleep(0.05)
        table.hold.set()
    assert isinstance(answers[-2], DomainError)
    assert (answers[1], answers[3]) == ("row 1", "row 3")
    assert sorted(table.rows) == [0, 1, 3]


async def test_a_failed_transaction_fails_every_record_in_it_and_writes_none() -> None:
    table = Table()
    table.fail_next = True
    answers = await submit_all(GroupCommit(table.write), [1, 2])
    assert all(isinstance(answer, OSError) for answer in answers.values())
    assert table.rows == []


async def test_the_writer_cancelled_mid_write_leaves_the_others_to_the_next_writer() -> None:
    table = Table()
    commit = GroupCommit(table.write)
    answers: dict[int, str | Exception] = {}
    async with anyio.create_task_group() as group:
        with anyio.move_on_after(0.2):  # the first caller gives up while its transaction is open
            table.hold = anyio.Event()

            async def others() -> None:
                await table.writing.wait()
                answers.update(await submit_all(commit, [1, 2]))

            group.start_soon(others)
            await commit.submit(0)
        table.hold.set()
    assert answers == {1: "row 1", 2: "row 2"}
    assert 0 not in table.rows


async def test_a_caller_cancelled_while_its_record_is_written_learns_the_outcome_first() -> None:
    table = Table()
    commit = GroupCommit(table.write)
    settled_before_leaving: list[bool] = []
    async with anyio.create_task_group() as group:
        await held_first(table, commit, group)

        async def impatient() -> None:
            with anyio.move_on_after(0.1):
                await commit.submit(2)
            settled_before_leaving.append(2 in table.rows)

        group.start_soon(commit.submit, 1)  # the next writer: it takes items 1 and 2 together
        group.start_soon(impatient)
        await anyio.sleep(0.05)
        table.hold.set()
        table.hold = anyio.Event()  # hold the [1, 2] transaction past the impatient caller's deadline
        await anyio.sleep(0.2)
        table.hold.set()
    assert table.transactions == [[0], [1, 2]]
    assert settled_before_leaving == [True]  # written, and the caller knew before it left


@given(st.lists(st.integers(-5, 50), max_size=40), st.integers(1, 8))
async def test_every_record_is_answered_once_whatever_the_mix(items: list[int], limit: int) -> None:
    table = Table()
    answers = await submit_all(GroupCommit(table.write, limit=limit), list(dict.fromkeys(items)))
    for item, answer in answers.items():
        assert isinstance(answer, NotFound) if item < 0 else answer == f"row {item}"
    assert sorted(table.rows) == sorted(i for i in answers if i >= 0)
    assert all(len(t) <= limit for t in table.transactions)


async def test_items_submitted_together_share_a_transaction_and_each_gets_its_outcome() -> None:
    table = Table()
    commit: GroupCommit[int, str] = GroupCommit(table.write, limit=3)
    outcomes = await commit.submit_many([1, -2, 3, 4])
    assert outcomes[0] == "row 1"
    assert isinstance(outcomes[1], NotFound)
    assert outcomes[2:] == ["row 3", "row 4"]
    assert table.transactions == [[1, -2, 3], [4]]  # as many as the limit allows in each
    assert await commit.submit_many([]) == []


async def test_a_batch_cancelled_mid_write_is_rolled_back_and_leaves_nothing_queued() -> None:
    table = Table()
    table.hold = anyio.Event()
    commit: GroupCommit[int, str] = GroupCommit(table.write, limit=2)
    async with anyio.create_task_group() as group:
        group.start_soon(commit.submit_many, [1, 2, 3, 4])
        await table.writing.wait()  # 1 and 2 are in a transaction being written; 3 and 4 wait
        group.cancel_scope.cancel()
        table.hold.set()
    assert table.rows == []  # its own transaction was cancelled with it
    assert await commit.submit(5) == "row 5"
    assert table.transactions == [[5]]  # none of the cancelled batch is written later
