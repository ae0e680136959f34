"""The ``core.integrity.scan`` job: re-hash every stored blob, find what is missing or out of place.

Order: list what every provider holds (names only), then check each asset record against it, reading
and hashing its bytes at a bounded rate (``Throttle``), then report the objects no record points at
(orphans) and what unfinished uploads left. A record is checked in asset-id order and a resume point
is logged every ``CHECKPOINT_FILES`` files, so a scan that was stopped (a crash, a restart) resumes
where it was, with the findings of its earlier runs. With ``repair``: a missing or corrupt blob is
restored from the newest backup that has it (hash-checked before it replaces anything), a record
pointing at the wrong provider is pointed at where the checked bytes are, orphans older than the grace
period and leftovers are removed. Everything found and done is logged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import timedelta

import anyio
import msgspec

from faceforge_domain.backup.ports import BackupTargets
from faceforge_domain.clock import Clock
from faceforge_domain.errors import DomainError
from faceforge_domain.ids import ContentHasher
from faceforge_domain.inputs import convert_job_input
from faceforge_domain.integrity.models import PROBLEMS, Finding, IntegrityScanInput, StoredObject
from faceforge_domain.integrity.ports import StoreInventory, UploadLeftovers
from faceforge_domain.integrity.repair import BackupCopies, backup_copies
from faceforge_domain.integrity.throttle import Sleep, Throttle
from faceforge_domain.jobs.models import Job, JsonObject, LogLevel
from faceforge_domain.jobs.ports import JobReporter
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.models import Asset, StorageLocation
from faceforge_domain.ports import BlobStore, UnitOfWorkFactory
from faceforge_domain.services.asset_walk import every_asset

JOB_TYPE = "core.integrity.scan"
CHECKPOINT_FILES = 100
RESULT_FINDINGS = 500  # the job's result lists this many; the log has every one
RECORD_PROBLEMS = ("missing", "corrupt", "wrong_provider")
ENTITY_NAMES = 5
INLINE_HASH_BYTES = 256 * 1024
Place = tuple[str, str]


def place(location: StorageLocation) -> Place:
    return (location.provider, location.key)


@dataclass(frozen=True, slots=True)
class ScanSettings:
    """``max_bytes_per_s``: the reading rate (None: no limit); ``orphan_grace``: how old an orphan must
    be before a repair removes it; ``backup_targets``: where a repair looks when none are named;
    ``checkpoint_files``: how often a resume point is logged."""

    max_bytes_per_s: int | None
    orphan_grace: timedelta
    backup_targets: Sequence[str] = ()
    checkpoint_files: int = CHECKPOINT_FILES


@dataclass(slots=True)
class Held:
    """What the providers hold, by place and by the hash their names claim."""

    at: dict[Place, StoredObject] = field(default_factory=dict)
    by_sha: dict[str, list[StoredObject]] = field(default_factory=dict)

    def add(self, found: StoredObject) -> None:
        self.at[place(found.location)] = found
        if found.sha256 is not None:
            self.by_sha.setdefault(found.sha256, []).append(found)


class IntegrityScan:
    """Runs integrity scans (the ``JobHandler``); ``stores`` and ``inventories`` are keyed by provider."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        stores: Mapping[str, BlobStore],
        inventories: Mapping[str, StoreInventory],
        leftovers: UploadLeftovers,
        targets: BackupTargets,
        clock: Clock,
        settings: ScanSettings,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self.units = units
        self.stores = dict(stores)
        self.inventories = dict(inventories)
        self.leftovers = leftovers
        self.targets = targets
        self.clock = clock
        self.settings = settings
        self.sleep = sleep

    async def validate(self, raw: JsonObject) -> JsonObject:
        return msgspec.to_builtins(self._options(raw))  # type: ignore[no-any-return]

    def _options(self, raw: JsonObject) -> IntegrityScanInput:
        options = convert_job_input(raw, IntegrityScanInput)
        for where in options.from_targets:
            self.targets.check(where)
        return options

    async def __call__(self, job: Job, ctx: JobReporter) -> JsonObject:
        options = self._options(job.input)
        where = options.from_targets or list(self.settings.backup_targets)
        async with AsyncExitStack() as opened:
            copies = None
            if options.repair and where:
                copies = await opened.enter_async_context(backup_copies(self.targets, where))
                for place_, error in copies.unreadable:
                    ctx.log("warning", f"backup {place_} cannot be read: {error}", {"backup": place_})
            run = ScanRun(self, ctx, repair=options.repair, copies=copies)
            await run.recall()
            await run.scan()
        return run.result()


class ScanRun:
    """One run of a scan: its counters, its findings and what it repaired."""

    def __init__(
        self, scan: IntegrityScan, ctx: JobReporter, *, repair: bool, copies: BackupCopies | None
    ) -> None:
        self.scanner = scan
        self.ctx = ctx
        self.repair = repair
        self.copies = copies
        self.throttle = Throttle(scan.settings.max_bytes_per_s, scan.clock, scan.sleep)
        self.findings: list[Finding] = []
        self.claimed: set[Place] = set()  # the places of misplaced records' bytes: not orphans
        self.confirmed: set[str] = set()  # assets whose recorded bytes this run found (or made) good
        self.resume_after = ""
        self.files_done = 0
        self.bytes_done = 0

    async def recall(self) -> None:
        """On a resumed job: where the earlier run got to, and what it found on the way."""
        async for entry in self.ctx.stored_entries():
            data = entry.data or {}
            if isinstance(data.get("resume_after"), str):
                self.resume_after = data["resume_after"]
                self.files_done = int(data.get("files_done", 0))
                self.bytes_done = int(data.get("bytes_done", 0))
            elif isinstance(data.get("finding"), dict):
                found = msgspec.convert(data["finding"], Finding)
                if found.problem in RECORD_PROBLEMS:
                    self.findings.append(found)
        if self.resume_after:
            self.ctx.log("info", f"resuming after asset {self.resume_after}", {"files_done": self.files_done})

    async def scan(self) -> None:
        ctx = self.ctx
        ctx.progress(step="listing stored files")
        held = Held()
        for inventory in self.scanner.inventories.values():
            async for found in inventory.objects():
                held.add(found)
            await ctx.checkpoint()
        records = sorted([a async for a in every_asset(self.scanner.units)], key=lambda a: a.asset_id)
        ctx.progress(
            step="checking stored files",
            current=self.files_done,
            total=len(records),
            bytes_current=self.bytes_done,
            bytes_total=sum(a.size_bytes for a in records),
        )
        for asset in records:
            if asset.asset_id > self.resume_after:
                await self._check_record(asset, held)
        ctx.log(
            "info",
            f"checked {self.files_done} stored files ({self.bytes_done} bytes)",
            {
                "resume_after": records[-1].asset_id if records else "",
                "files_done": self.files_done,
                "bytes_done": self.bytes_done,
            },
        )
        ctx.progress(step="looking for orphans and leftovers")
        referenced = {place(a.storage) for a in records} | self.claimed
        recorded = {a.asset_id for a in records}
        for found in held.at.values():
            if place(found.location) not in referenced and (named := await self._named(found)):
                await self._orphan(named, recorded)
        for leftover in await self.scanner.leftovers.find():
            repaired = None
            if self.repair:
                await self.scanner.leftovers.remove(leftover)
                repaired = "removed"
            await self._report(
                Finding(
                    problem="leftover",
                    detail=f"{leftover.kind.replace('_', ' ')} {leftover.name} ({leftover.size_bytes} bytes)",
                    size_bytes=leftover.size_bytes,
                    key=leftover.name,
                    repaired=repaired,
                )
            )
        ctx.progress(step="done")

    async def _check_record(self, asset: Asset, held: Held) -> None:
        await self.ctx.checkpoint()
        try:
            found = await self._finding_for(asset, held)
        except (DomainError, OSError) as exc:  # a provider that fails to answer: say so, go on
            found = Finding(
                problem="missing",
                detail=f"could not be read: {exc}",
                asset_id=asset.asset_id,
                provider=asset.storage.provider,
                key=asset.storage.key,
                size_bytes=asset.size_bytes,
            )
        if found is not None:
            await self._report(await self._with_entities(found))
        self.files_done += 1
        self.bytes_done += asset.size_bytes
        self.ctx.progress(current=self.files_done, bytes_current=self.bytes_done)
        if self.files_done % self.scanner.settings.checkpoint_files == 0:
            self.ctx.log(
                "debug",
                f"checked {self.files_done} files",
                {
                    "resume_after": asset.asset_id,
                    "files_done": self.files_done,
                    "bytes_done": self.bytes_done,
                },
            )

    async def _finding_for(self, asset: Asset, held: Held) -> Finding | None:
        location = asset.storage
        base = Finding(
            problem="missing",
            detail="",
            asset_id=asset.asset_id,
            provider=location.provider,
            key=location.key,
            size_bytes=asset.size_bytes,
        )
        store = self.scanner.stores.get(location.provider)
        if store is None:
            return _as(base, "missing", f"its provider {location.provider!r} is not configured here")
        if place(location) not in held.at and await store.stat(location) is None:
            return await self._not_where_recorded(asset, base, held)
        try:
            sha256, size = await self._digest(store, location)
        except FileNotFoundError:
            return await self._not_where_recorded(asset, base, held)
        if sha256 == asset.asset_id and size == asset.size_bytes:
            self.confirmed.add(asset.asset_id)
            return None
        detail = f"its {size} bytes hash to {sha256}"
        return await self._restored(_as(base, "corrupt", detail), asset)

    async def _not_where_recorded(self, asset: Asset, base: Finding, held: Held) -> Finding | None:
        async with self.scanner.units.read() as uow:
            if await uow.assets.get(asset.asset_id, include_deleted=True) is None:
                return None  # purged while the scan ran
        for other in held.by_sha.get(asset.asset_id, []):
            store = self.scanner.stores.get(other.location.provider)
            if other.location == asset.storage or store is None:
                continue
            try:
                sha256, size = await self._digest(store, other.location)
            except FileNotFoundError:
                continue
            if sha256 == asset.asset_id and size == asset.size_bytes:
                self.claimed.add(place(other.location))
                detail = (
                    f"not on {asset.storage.provider}; its checked bytes are on {other.location.provider}"
                )
                found = _as(base, "wrong_provider", detail)
                if self.repair and await self._point(asset, other.location):
                    found = msgspec.structs.replace(
                        found, repaired=f"record pointed at {other.location.provider}"
                    )
                return found
        return await self._restored(_as(base, "missing", f"not on {asset.storage.provider}"), asset)

    async def _restored(self, found: Finding, asset: Asset) -> Finding:
        """``found`` with what a repair from the backups did about it."""
        if not self.repair:
            return found
        inventory = self.scanner.inventories.get(asset.storage.provider)
        if self.copies is None or not self.copies.where or inventory is None:
            return msgspec.structs.replace(found, detail=f"{found.detail}; no backup to repair it from")
        try:
            done = await self.copies.restore(asset.asset_id, inventory)
        except DomainError as exc:
            return msgspec.structs.replace(found, detail=f"{found.detail}; {exc}")
        if done is None:
            where = ", ".join(self.copies.where)
            return msgspec.structs.replace(found, detail=f"{found.detail}; not in any backup ({where})")
        self.confirmed.add(asset.asset_id)
        return msgspec.structs.replace(found, repaired=done)

    async def _point(self, asset: Asset, location: StorageLocation) -> bool:
        """Point the record at ``location`` if it still points where the scan found it."""
        async with self.scanner.units.write() as uow:
            current = await uow.assets.get(asset.asset_id, include_deleted=True)
            if current is None or current.storage != asset.storage:
                return False
            current.storage = location
            await uow.assets.update(current)
            await uow.commit()
        return True

    async def _digest(self, store: BlobStore, location: StorageLocation) -> tuple[str, int]:
        hasher = ContentHasher()
        async for chunk in store.open_range(location):
            if len(chunk) < INLINE_HASH_BYTES:  # a thread trip costs more than hashing a small piece
                hasher.update(chunk)
            else:
                await anyio.to_thread.run_sync(hasher.update, chunk)
            await self.throttle.spend(len(chunk))
            self.ctx.raise_if_canceled()
        return hasher.hexdigest(), hasher.size

    async def _named(self, found: StoredObject) -> StoredObject | None:
        """An object whose name claims no hash, with the hash of its bytes (what an orphan holds decides
        whether a repair may remove it); ``None`` when it went away since it was listed."""
        if found.sha256 is not None:
            return found
        try:
            sha256, size = await self._digest(self.scanner.stores[found.location.provider], found.location)
        except FileNotFoundError:
            return None
        return msgspec.structs.replace(found, sha256=sha256, size_bytes=size)

    async def _orphan(self, found: StoredObject, recorded: set[str]) -> None:
        """Report a stored object no record points at; a repair removes it past the grace period,
        but never a copy of a recorded file whose own bytes this run did not find good (it may be the
        only good copy left, or a misplaced one found by an earlier run of a resumed scan)."""
        age = self.scanner.clock.now() - found.modified_at
        grace = self.scanner.settings.orphan_grace
        detail = f"no record points at it ({found.size_bytes} bytes, {_days(age)} old)"
        repaired = None
        if found.sha256 in recorded and found.sha256 not in self.confirmed:
            kept = f"it holds asset {found.sha256}, whose recorded copy this scan did not confirm"
            detail = f"{detail}; kept: {kept}"
        elif self.repair and age >= grace:
            inventory = self.scanner.inventories[found.location.provider]
            await inventory.remove(found)
            repaired = "removed"
        elif self.repair:
            detail = f"{detail}; kept: younger than the {_days(grace)} grace period"
        await self._report(
            Finding(
                problem="orphan",
                detail=detail,
                asset_id=found.sha256,
                provider=found.location.provider,
                key=found.location.key,
                size_bytes=found.size_bytes,
                repaired=repaired,
            )
        )

    async def _with_entities(self, found: Finding) -> Finding:
        assert found.asset_id is not None
        async with self.scanner.units.read() as uow:
            linked = await uow.assets.linked_entities(found.asset_id, include_deleted=True, limit=200)
        if not linked:
            return found
        names = ", ".join(link.entity.display_name for link in linked[:ENTITY_NAMES])
        more = f" and {len(linked) - ENTITY_NAMES} more" if len(linked) > ENTITY_NAMES else ""
        return msgspec.structs.replace(
            found,
            detail=f"{found.detail} (linked to {names}{more})",
            entity_ids=[link.entity.entity_id for link in linked],
        )

    async def _report(self, found: Finding) -> None:
        self.findings.append(found)
        what = f"asset {found.asset_id}" if found.asset_id else "tmp"
        if found.problem == "leftover":
            what = "upload leftover"
        level: LogLevel = (
            "error" if found.problem in ("missing", "corrupt") and not found.repaired else "warning"
        )
        repaired = f"; repaired: {found.repaired}" if found.repaired else ""
        self.ctx.log(
            level,
            f"{found.problem.replace('_', ' ')}: {what}: {found.detail}{repaired}",
            {"finding": msgspec.to_builtins(found)},
        )
        await self.ctx.checkpoint()

    def result(self) -> JsonObject:
        counts = dict.fromkeys(PROBLEMS, 0)
        for found in self.findings:
            counts[found.problem] += 1
        return {
            "files_checked": self.files_done,
            "bytes_checked": self.bytes_done,
            "repair": self.repair,
            "backups": list(self.copies.where) if self.copies else [],
            "counts": counts,
            "repaired": sum(1 for f in self.findings if f.repaired),
            "unrepaired": sum(1 for f in self.findings if not f.repaired),
            # stored files still missing, damaged or misplaced (orphans and leftovers lose nothing)
            "damaged": sum(1 for f in self.findings if f.problem in RECORD_PROBLEMS and not f.repaired),
            "findings_total": len(self.findings),
            "findings": [msgspec.to_builtins(f) for f in self.findings[:RESULT_FINDINGS]],
        }


def _as(base: Finding, problem: str, detail: str) -> Finding:
    return msgspec.structs.replace(base, problem=problem, detail=detail)


def _days(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days:.1f} days" if days < 10 else f"{round(days)} days"


def register_integrity_scan(registry: JobRegistry, handler: IntegrityScan) -> None:
    """Make ``core.integrity.scan`` startable; resumable: a re-queued scan goes on from its last resume
    point with what it found before."""
    registry.register(
        JOB_TYPE,
        handler,
        validate=handler.validate,
        resumable=True,
        description="Re-hash every stored file; find missing, corrupt, misplaced and orphan files; repair.",
    )
