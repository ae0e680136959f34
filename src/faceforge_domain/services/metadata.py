"""Metadata extraction off the request path: a queue of asset ids and a few consumers.

An upload answers with ``metadata_status: pending`` at once; the runner fills the record in later
(``done``, ``skipped`` or ``failed`` with the reason). On start it re-queues whatever a previous run
left pending, so a restart never strands an asset. Whoever waits for outcomes (a bulk import) listens
to the runner instead of asking the database over and over.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import anyio
from anyio.abc import TaskStatus
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from faceforge_domain.clock import Clock
from faceforge_domain.events import record_many
from faceforge_domain.facts import derive_facts
from faceforge_domain.metadata import (
    MetadataError,
    MetadataOutcome,
    MetadataState,
    exiftool_entry,
    skip_reason,
)
from faceforge_domain.models import Asset, MetadataStatus
from faceforge_domain.ports import MetadataExtractor, UnitOfWorkFactory
from faceforge_domain.previews import PREVIEW_KIND

log = logging.getLogger("faceforge.metadata")

BATCH = 32
# How long a consumer waits for a batch to fill once its first asset is in: a bulk import's files arrive
# a few milliseconds apart, and a full batch costs one transaction and one ExifTool request where
# dribs of one or two would each pay for their own. A lone upload's metadata waits this much longer.
GATHER_S = 0.05

# Settled assets by id: the outcome recorded (never "pending"), or None where the runner recorded none
# (the asset was gone or no longer pending, or its extraction crashed): the repository knows the rest.
Settled = dict[str, MetadataState | None]


class OutcomeFeed:
    """The batches a runner settles while the feed is open (see ``MetadataRunner.listen``)."""

    def __init__(self, receive: MemoryObjectReceiveStream[Settled]) -> None:
        self._receive = receive

    async def next(self, timeout_s: float) -> Settled:
        """The next settled batch, or an empty one when none came within ``timeout_s``."""
        with anyio.move_on_after(timeout_s):
            return await self._receive.receive()
        return {}


@contextmanager
def silent_feed() -> Iterator[OutcomeFeed]:
    """A feed nothing is ever sent to: waiting on it only times out (no runner in this process)."""
    send, receive = anyio.create_memory_object_stream[Settled](0)
    with send, receive:
        yield OutcomeFeed(receive)


class MetadataRunner:
    """Runs the extractor for queued assets and records the outcomes.

    Consumers each take up to ``batch`` queued assets at a time, extract them side by side (the
    extractor may answer them in one go) and record the outcomes in one transaction. There are two
    consumers per extractor worker (``workers``), so while one records its batch, another's batch keeps
    the extractor busy. One consumer at a time gathers (for up to ``gather_s``), so assets arriving
    one by one fill one batch instead of being dealt out across every idle consumer.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        extractor: MetadataExtractor | None,
        clock: Clock,
        *,
        workers: int,
        batch: int = BATCH,
        gather_s: float = GATHER_S,
    ) -> None:
        self._uow = uow
        self._extractor = extractor
        self._clock = clock
        self._consumers = 2 * max(1, workers)
        self._batch = max(1, batch)
        self._gather_s = gather_s
        self._gathering = anyio.Lock()
        send, receive = anyio.create_memory_object_stream[str](math.inf)
        self._send: MemoryObjectSendStream[str] = send
        self._receive: MemoryObjectReceiveStream[str] = receive
        self._outstanding = 0
        self._idle = anyio.Event()
        self._idle.set()
        self._listeners: set[MemoryObjectSendStream[Settled]] = set()

    def submit(self, asset_id: str) -> None:
        """Queue an asset; returns at once (the queue is unbounded: ids are small)."""
        self._outstanding += 1
        self._idle = anyio.Event() if self._idle.is_set() else self._idle
        self._send.send_nowait(asset_id)

    async def warm_up(self) -> None:
        """Start the extractor's workers ahead of a run of new assets (a bulk import)."""
        if self._extractor is not None and self._extractor.unavailable_reason is None:
            await self._extractor.warm_up()

    async def wait_idle(self) -> None:
        """Until every queued asset has been processed (tests and the CLI wait on this)."""
        await self._idle.wait()

    @contextmanager
    def listen(self) -> Iterator[OutcomeFeed]:
        """Every batch settled from now until the block ends, in the order the runner settles them."""
        send, receive = anyio.create_memory_object_stream[Settled](math.inf)
        self._listeners.add(send)
        try:
            yield OutcomeFeed(receive)
        finally:
            self._listeners.discard(send)
            send.close()
            receive.close()

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Consume the queue until cancelled; pending assets from an earlier run go first."""
        async with self._uow.read() as uow:
            pending = await uow.assets.metadata_pending()
        for asset_id in pending:
            self.submit(asset_id)
        async with anyio.create_task_group() as group:
            for _ in range(self._consumers):
                group.start_soon(self._consume)
            task_status.started()

    async def _consume(self) -> None:
        async with self._receive.clone() as receive:
            while True:
                async with self._gathering:
                    try:
                        batch = await self._gather(receive)
                    except anyio.EndOfStream:
                        return
                try:
                    await self.process(batch)
                except Exception:  # a failed read or write must not stop the queue; it is logged in full
                    log.exception(
                        "metadata extraction crashed", extra={"event": "metadata.error", "asset_ids": batch}
                    )
                finally:
                    self._outstanding -= len(batch)
                    if self._outstanding == 0:
                        self._idle.set()

    async def _gather(self, receive: MemoryObjectReceiveStream[str]) -> list[str]:
        """The next batch: the first queued asset, then what arrives within ``gather_s`` (or a full batch)."""
        batch = [await receive.receive()]
        with anyio.move_on_after(self._gather_s):
            while len(batch) < self._batch:
                try:
                    batch.append(await receive.receive())
                except anyio.EndOfStream:
                    break
        return batch

    async def process(self, asset_ids: list[str]) -> dict[str, MetadataStatus]:
        """Extract the assets' metadata in one go and record every outcome in one transaction.

        Assets gone or no longer pending are left out of the answer: there was nothing to do. Listeners
        hear of every asset asked for, whatever became of it.
        """
        outcomes: dict[str, MetadataOutcome] = {}
        recorded: list[str] = []
        try:
            outcomes = await self._outcomes(asset_ids)
            if outcomes:
                recorded = await self._record(outcomes)
        finally:
            self._publish(asset_ids, {asset_id: outcomes[asset_id] for asset_id in recorded})
        return {asset_id: outcome.status for asset_id, outcome in outcomes.items()}

    def _publish(self, asset_ids: list[str], recorded: Mapping[str, MetadataOutcome]) -> None:
        settled: Settled = {}
        for asset_id in asset_ids:
            outcome = recorded.get(asset_id)
            settled[asset_id] = None if outcome is None else MetadataState(outcome.status, outcome.reason)
        for send in self._listeners:
            send.send_nowait(settled)

    async def _outcomes(self, asset_ids: list[str]) -> dict[str, MetadataOutcome]:
        """What extraction concludes for the pending ones among ``asset_ids``."""
        async with self._uow.read() as uow:
            found = await uow.assets.get_many(asset_ids)
        outcomes: dict[str, MetadataOutcome] = {}
        to_extract: list[Asset] = []
        for asset in found.values():
            if asset.metadata_status != "pending":
                continue
            reason = self._skip_reason(asset)
            if reason is None:
                to_extract.append(asset)
            else:
                log.info(
                    "metadata skipped",
                    extra={"event": "metadata.skip", "asset_id": asset.asset_id, "reason": reason},
                )
                outcomes[asset.asset_id] = MetadataOutcome("skipped", reason)
        if to_extract:
            assert self._extractor is not None
            outcomes.update(await self._extract(to_extract, self._extractor))
        return outcomes

    def _skip_reason(self, asset: Asset) -> str | None:
        if asset.kind == PREVIEW_KIND:
            return "a preview FaceForge made: it carries no metadata of its own"
        reason = skip_reason(asset.filename)
        if reason is None and self._extractor is None:
            return "no metadata extractor is configured"
        if reason is None and self._extractor is not None:
            return self._extractor.unavailable_reason
        return reason

    async def _extract(self, assets: list[Asset], extractor: MetadataExtractor) -> dict[str, MetadataOutcome]:
        log.info(
            "metadata started for %d assets",
            len(assets),
            extra={"event": "metadata.start", "asset_ids": [asset.asset_id for asset in assets]},
        )
        started = self._clock.monotonic()
        answers = await extractor.extract_many(assets)
        duration_ms = round((self._clock.monotonic() - started) * 1000, 2)
        outcomes: dict[str, MetadataOutcome] = {}
        for asset, answer in zip(assets, answers, strict=True):
            try:
                if isinstance(answer, Exception):
                    raise answer
                entry = exiftool_entry(answer)
            except MetadataError as exc:
                log.warning(
                    "metadata failed: %s",
                    exc,
                    extra={"event": "metadata.failed", "asset_id": asset.asset_id, "reason": str(exc)},
                )
                outcomes[asset.asset_id] = MetadataOutcome("failed", str(exc))
            except Exception:  # one asset's surprise must not sink the batch; it is logged in full
                log.exception(
                    "metadata extraction crashed",
                    extra={"event": "metadata.error", "asset_id": asset.asset_id},
                )
            else:
                outcomes[asset.asset_id] = MetadataOutcome("done", None, entry, derive_facts(entry["Data"]))
        done = [asset_id for asset_id, outcome in outcomes.items() if outcome.status == "done"]
        if done:
            log.info(
                "metadata done for %d assets",
                len(done),
                extra={"event": "metadata.done", "asset_ids": done, "duration_ms": duration_ms},
            )
        return outcomes

    async def _record(self, outcomes: dict[str, MetadataOutcome]) -> list[str]:
        """Store the outcomes and an ``asset.metadata_extracted`` event for each asset still on record;
        the ids of those recorded."""
        async with self._uow.write() as uow:
            recorded = await uow.assets.record_metadata(outcomes, self._clock.now())  # purged: left out
            await record_many(
                uow,
                self._clock,
                [
                    (
                        "asset.metadata_extracted",
                        i,
                        {"status": outcomes[i].status, "reason": outcomes[i].reason},
                    )
                    for i in recorded
                ],
            )
            await uow.commit()
        return recorded
