"""SqliteAssetRepository: asset records and their links to entities."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

import aiosqlite
import msgspec

from faceforge_adapters.sqlite.asset_search import (
    NARROW_SEARCH,
    TEXT_DOCUMENTS,
    candidates_sql,
    escape_like,
    prefix_count_branches,
    search_condition,
    text_match_values,
    text_matches_from,
)
from faceforge_adapters.sqlite.entities import ENTITY_COLUMNS
from faceforge_adapters.sqlite.entities import ROWS as ENTITY_ROWS
from faceforge_adapters.sqlite.rows import RowCodec, to_ts
from faceforge_domain.asset_query import AssetPosition, AssetQuery
from faceforge_domain.facts import AssetFacts
from faceforge_domain.metadata import MetadataOutcome, MetadataState, replace_entry
from faceforge_domain.models import Asset, LinkedEntity
from faceforge_domain.previews import PREVIEW_KIND
from faceforge_domain.queries import KeysetPosition

# ExifTool's output is packed: 82 KB of JSON for an 8 KB camera JPEG takes 12.7 KB (docs/assets.md).
ROWS = RowCodec(
    Asset, "assets", key="asset_id", flattened=("storage", "facts"), packed=("extracted_metadata",)
)
_ENTRIES = ROWS.column("extracted_metadata")
_COLUMNS = ROWS.column_list
_RECORD_METADATA = (
    "UPDATE assets SET extracted_metadata = ?, metadata_status = ?, metadata_reason = ?, updated_at = ? "
    "WHERE asset_id = ?"
)
_FACTS_COLUMNS = ROWS.part_columns("facts")
_RECORD_FACTS = f"UPDATE assets SET {', '.join(f'{c} = ?' for c in _FACTS_COLUMNS)} WHERE asset_id = ?"
# The sort orders' columns (allow-listed: only these names reach SQL), each indexed with the id.
_SORT_COLUMNS = {
    "created_at": "created_at",
    "taken_at": "facts_taken_at",
    "filename": "filename COLLATE NOCASE",
    "size_bytes": "size_bytes",
}
# Each order's index on the live list (migration 0013).
_SORT_INDEXES = {
    "created_at": "assets_live_created",
    "taken_at": "assets_live_taken",
    "filename": "assets_live_filename",
    "size_bytes": "assets_live_size",
}
# Ids looked up per statement: far below SQLite's bound-parameter limit on every version.
_IDS_PER_QUERY = 500


class SqliteAssetRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        # Whether each search asked for in this unit of work is broad: a page and its total ask alike,
        # and the answer only picks a plan (both plans give the same rows).
        self._broad: dict[AssetQuery, bool] = {}

    async def add(self, asset: Asset) -> None:
        await self.add_many([asset])

    async def add_many(self, assets: Sequence[Asset]) -> None:
        if assets:
            await self._conn.executemany(ROWS.insert_sql, [ROWS.values(asset) for asset in assets])

    async def update(self, asset: Asset) -> None:
        await self.update_many([asset])

    async def update_many(self, assets: Sequence[Asset]) -> None:
        if assets:
            await self._conn.executemany(ROWS.update_sql, [ROWS.update_values(asset) for asset in assets])

    async def get(self, asset_id: str, *, include_deleted: bool = False) -> Asset | None:
        return (await self.get_many([asset_id], include_deleted=include_deleted)).get(asset_id)

    async def get_many(
        self, asset_ids: Collection[str], *, include_deleted: bool = False
    ) -> dict[str, Asset]:
        rows = await self._by_ids(_COLUMNS, asset_ids, include_deleted=include_deleted)
        return {row["asset_id"]: ROWS.from_row(row) for row in rows}

    async def metadata_states(self, asset_ids: Collection[str]) -> dict[str, MetadataState]:
        rows = await self._by_ids(
            "asset_id, metadata_status, metadata_reason", asset_ids, include_deleted=False
        )
        return {row[0]: MetadataState(row[1], row[2]) for row in rows}

    async def record_metadata(
        self, outcomes: Mapping[str, MetadataOutcome], updated_at: datetime
    ) -> list[str]:
        # Only the entries column is read (decoded just where an entry replaces one), inside the caller's
        # write transaction, so nothing can change it between this read and the update.
        rows = await self._by_ids("asset_id, extracted_metadata", outcomes, include_deleted=True)
        entries: dict[str, str | bytes] = {row[0]: row[1] for row in rows}
        recorded = [asset_id for asset_id in outcomes if asset_id in entries]
        stamp = to_ts(updated_at)
        updates = []
        facts: dict[str, AssetFacts] = {}
        for asset_id in recorded:
            outcome = outcomes[asset_id]
            stored = entries[asset_id]
            if outcome.entry is not None:
                stored = _ENTRIES.encode(replace_entry(_ENTRIES.decode(stored), outcome.entry))
            updates.append((stored, outcome.status, outcome.reason, stamp, asset_id))
            if outcome.facts is not None:
                facts[asset_id] = outcome.facts
        if updates:
            await self._conn.executemany(_RECORD_METADATA, updates)
        await self.record_facts(facts)
        return recorded

    async def record_facts(self, facts: Mapping[str, AssetFacts]) -> list[str]:
        rows = await self._by_ids("asset_id", facts, include_deleted=True)
        found = {row[0] for row in rows}
        recorded = [asset_id for asset_id in facts if asset_id in found]
        if recorded:
            values = [(*ROWS.part_values("facts", facts[i]), i) for i in recorded]
            await self._conn.executemany(_RECORD_FACTS, values)
        return recorded

    async def _by_ids(
        self, columns: str, asset_ids: Collection[str], *, include_deleted: bool
    ) -> list[sqlite3.Row]:
        """``columns`` of the assets among ``asset_ids``, one query per ``_IDS_PER_QUERY`` ids."""
        found: list[sqlite3.Row] = []
        ids = list(dict.fromkeys(asset_ids))
        for start in range(0, len(ids), _IDS_PER_QUERY):
            some = ids[start : start + _IDS_PER_QUERY]
            sql = f"SELECT {columns} FROM assets WHERE asset_id IN ({', '.join('?' * len(some))})"
            if not include_deleted:
                sql += " AND deleted_at IS NULL"
            found += await self._conn.execute_fetchall(sql, some)  # one trip to the database thread
        return found

    async def link(self, entity_id: str, asset_id: str, role: str | None) -> bool:
        cursor = await self._conn.execute(
            "INSERT INTO entity_assets (entity_id, asset_id, role, created_at) "
            "VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) ON CONFLICT DO NOTHING",
            (entity_id, asset_id, role),
        )
        return cursor.rowcount > 0

    async def unlink(self, entity_id: str, asset_id: str) -> bool:
        cursor = await self._conn.execute(
            "DELETE FROM entity_assets WHERE entity_id = ? AND asset_id = ?", (entity_id, asset_id)
        )
        return cursor.rowcount > 0

    async def find(
        self, query: AssetQuery, *, limit: int, offset: int = 0, after: AssetPosition | None = None
    ) -> list[Asset]:
        walk_order = await self._broad_search(query)
        where, params = _where(query, walk_order=walk_order)
        column = _SORT_COLUMNS[query.sort_by]
        direction = "DESC" if query.sort_order == "desc" else "ASC"
        if after is not None:
            condition, values = _after(column, query.sort_order == "desc", after)
            where.append(condition)
            params += values
        order = f"{column} {direction}, asset_id {direction}"
        source = _walk_source(query) if walk_order else _source(query)
        sql = f"SELECT {_COLUMNS} FROM {source}{_clause(where)} ORDER BY {order} LIMIT ? OFFSET ?"
        async with self._conn.execute(sql, (*params, limit, offset)) as cursor:
            rows = await cursor.fetchall()
        return [ROWS.from_row(row) for row in rows]

    async def _broad_search(self, query: AssetQuery) -> bool:
        """Whether a page should walk its order's index and keep the rows among the matches (a broad
        search fills a page within its first rows) rather than read every match and sort them (a narrow
        one). A prefix outside the live list has no index to seek, so it walks too."""
        if query.q is None:
            return False
        if query.prefix_search and not _live_only(query):
            return True
        if query not in self._broad:
            sql, values = candidates_sql(query)
            async with self._conn.execute(sql, values) as cursor:
                row = await cursor.fetchone()
            self._broad[query] = row is not None and int(row[0]) > NARROW_SEARCH
        return self._broad[query]

    async def count(self, query: AssetQuery, *, up_to: int) -> int:
        if query.camera is not None and query.q is None and query.taken_after is query.taken_before is None:
            return await self._count_camera(query, query.camera, up_to)
        if query.q is not None and query.prefix_search and _live_only(query):
            return await self._count_prefix(query, query.q, up_to)
        walk_order = await self._broad_search(query)
        if walk_order and query.q is not None and not query.prefix_search:
            return await self._count_text(query, query.q, up_to)
        where, params = _where(query, walk_order=walk_order)
        source = _walk_source(query) if walk_order else _source(query)
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {source}{_clause(where)} LIMIT ?)"
        async with self._conn.execute(sql, (*params, up_to)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _count_prefix(self, query: AssetQuery, q: str, up_to: int) -> int:
        """A short search's total on the live list: its three disjoint parts (make, else model, else file
        name) each counted in its own index, up to ``up_to``, and added up."""
        where, params = _where(msgspec.structs.replace(query, q=None))
        branches = prefix_count_branches(q)
        parts = (f"SELECT 1 FROM assets INDEXED BY {i}{_clause([*where, c])} LIMIT ?" for i, c, _ in branches)
        sql = " + ".join(f"(SELECT count(*) FROM ({part}))" for part in parts)
        values = [value for _, _, extra in branches for value in (*params, *extra, up_to)]
        async with self._conn.execute(f"SELECT min({sql}, ?)", (*values, up_to)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _count_text(self, query: AssetQuery, q: str, up_to: int) -> int:
        """A broad search's total, counted from the trigram index's matches on, each tested in its own
        search document (in its asset's entry in the narrow ``assets_live_id`` index for an entity's
        assets): it stops after ``up_to`` of them."""
        where, params = _where(msgspec.structs.replace(query, q=None))
        source = TEXT_DOCUMENTS if query.entity_id is None else text_matches_from(_source(query))
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {source}{''.join(f' AND {w}' for w in where)} LIMIT ?)"
        async with self._conn.execute(sql, (*text_match_values(q), *params, up_to)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _count_camera(self, query: AssetQuery, camera: str, up_to: int) -> int:
        """The make-or-model total as two index seeks (make matches; else the model does) added up: one
        count of the OR would read a whole camera index. (With a date range, the range is the narrower
        seek, and the plain count takes it.)"""
        where, params = _where(msgspec.structs.replace(query, camera=None))
        branches = [
            ("facts_camera_make = ?", [camera]),
            ("facts_camera_model = ? AND facts_camera_make IS NOT ?", [camera, camera]),
        ]
        sql = " + ".join(
            f"(SELECT count(*) FROM (SELECT 1 FROM assets{_clause([*where, cond])} LIMIT ?))"
            for cond, _ in branches
        )
        values = [value for _, extra in branches for value in (*params, *extra, up_to)]
        async with self._conn.execute(f"SELECT min({sql}, ?)", (*values, up_to)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def linked_entities(
        self,
        asset_id: str,
        *,
        include_deleted: bool,
        limit: int,
        offset: int = 0,
        after: KeysetPosition | None = None,
    ) -> list[LinkedEntity]:
        where, params = _linked_where(asset_id, include_deleted=include_deleted)
        if after is not None:
            where += " AND (e.created_at, e.entity_id) > (?, ?)"
            params += [after.value, after.last_id]
        sql = (
            f"SELECT {ENTITY_COLUMNS}, l.role {_LINKED_FROM} WHERE {where} "
            "ORDER BY e.created_at, e.entity_id LIMIT ? OFFSET ?"
        )
        async with self._conn.execute(sql, (*params, limit, offset)) as cursor:
            rows = await cursor.fetchall()
        return [LinkedEntity(entity=ENTITY_ROWS.from_row(row), role=row["role"]) for row in rows]

    async def count_linked_entities(self, asset_id: str, *, include_deleted: bool) -> int:
        where, params = _linked_where(asset_id, include_deleted=include_deleted)
        async with self._conn.execute(f"SELECT count(*) {_LINKED_FROM} WHERE {where}", params) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def live_sizes(self, asset_ids: Collection[str]) -> dict[str, int]:
        ids = list(asset_ids)
        sizes: dict[str, int] = {}
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            sql = (
                "SELECT asset_id, size_bytes FROM assets "
                f"WHERE asset_id IN ({', '.join('?' * len(chunk))}) AND deleted_at IS NULL"
            )
            async with self._conn.execute(sql, chunk) as cursor:
                sizes.update({row[0]: row[1] for row in await cursor.fetchall()})
        return sizes

    async def purgeable(self) -> list[Asset]:
        sql = f"SELECT {_COLUMNS} FROM assets WHERE {_PURGEABLE} ORDER BY deleted_at, asset_id"
        async with self._conn.execute(sql) as cursor:
            rows = await cursor.fetchall()
        return [ROWS.from_row(row) for row in rows]

    async def remove_if_purgeable(self, asset_id: str) -> bool:
        async with self._conn.execute(
            f"SELECT 1 FROM assets WHERE asset_id = ? AND {_PURGEABLE}", (asset_id,)
        ) as cursor:
            if await cursor.fetchone() is None:
                return False
        await self._conn.execute(
            "UPDATE assets SET derived_from_asset_id = NULL WHERE derived_from_asset_id = ?", (asset_id,)
        )
        await self._conn.execute("DELETE FROM assets WHERE asset_id = ?", (asset_id,))
        return True

    async def metadata_pending(self) -> list[str]:
        sql = (
            "SELECT asset_id FROM assets WHERE metadata_status = 'pending' AND deleted_at IS NULL "
            "ORDER BY created_at, asset_id"
        )
        async with self._conn.execute(sql) as cursor:
            rows = await cursor.fetchall()
        return [row[0] for row in rows]


# Soft-deleted, and nothing (entity link, job) still refers to it.
_PURGEABLE = (
    "deleted_at IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM entity_assets l WHERE l.asset_id = assets.asset_id) "
    "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.input_asset_id = assets.asset_id)"
)


_IN_CHUNK = 1000  # ids bound per IN-list: a whole pre-check batch in one query

# CROSS JOIN keeps the links first: found by the entity_assets_asset index, then each entity by key.
_LINKED_FROM = "FROM entity_assets AS l CROSS JOIN entities AS e ON e.entity_id = l.entity_id"


def _linked_where(asset_id: str, *, include_deleted: bool) -> tuple[str, list[object]]:
    where = "l.asset_id = ?" + ("" if include_deleted else " AND e.deleted_at IS NULL")
    return where, [asset_id]


def _where(query: AssetQuery, *, walk_order: bool = False) -> tuple[list[str], list[object]]:
    """SQL conditions for a checked query; values are always bound. ``walk_order``: each row the order's
    index yields is tested against its own search document (one key lookup), so a broad search's page
    stops after its first matches instead of gathering them all."""
    where: list[str] = []
    params: list[object] = []
    if not query.include_deleted:
        where.append("deleted_at IS NULL")
    if query.in_trash:
        where.append("deleted_at IS NOT NULL")
    if query.hides_previews:
        where.append(f"NOT (kind = '{PREVIEW_KIND}' AND derived_from_asset_id IS NOT NULL)")
    if query.kind is not None:
        where.append("kind = ?")
        params.append(query.kind)
    if query.mime_prefix is not None:
        where.append("mime_type LIKE ? ESCAPE '\\'")
        params.append(escape_like(query.mime_prefix) + "%")
    if query.entity_id is not None:
        where.append("assets.asset_id IN (SELECT l.asset_id FROM entity_assets AS l WHERE l.entity_id = ?)")
        params.append(query.entity_id)
    if query.q is not None:
        condition, values = search_condition(query, walk_order=walk_order)
        where.append(condition)
        params += values
    if query.camera is not None:
        where.append("(facts_camera_make = ? OR facts_camera_model = ?)")  # NOCASE columns
        params += [query.camera, query.camera]
    if query.taken_after is not None:
        where.append("facts_taken_at >= ?")
        params.append(query.taken_after)
    if query.taken_before is not None:
        where.append("facts_taken_at < ?")
        params.append(query.taken_before)
    if query.has_location is not None:
        where.append(f"facts_latitude IS {'NOT ' if query.has_location else ''}NULL")
    return where, params


def _live_only(query: AssetQuery) -> bool:
    """Whether the list is the live one, which the partial indexes of migration 0013 hold."""
    return not query.include_deleted and query.hides_previews


def _source(query: AssetQuery) -> str:
    """A live list's narrow search tests its matches in the narrow ``assets_live_id`` index (0015): left
    to itself, the planner takes the key's own index and reads each wide row, or (with statistics) walks
    a whole order index for a handful of matches."""
    if query.q is not None and _live_only(query):
        return "assets INDEXED BY assets_live_id"
    return "assets"


def _walk_source(query: AssetQuery) -> str:
    """A broad search on the live list walks its order's index (named, so that no statistics turn the
    planner to reading and sorting every match)."""
    return f"assets INDEXED BY {_SORT_INDEXES[query.sort_by]}" if _live_only(query) else "assets"


def _after(column: str, descending: bool, after: AssetPosition) -> tuple[str, list[object]]:
    """The rows after ``after`` in this order; a missing value (no date taken) sorts before every value."""
    if after.value is None and descending:
        return f"({column} IS NULL AND asset_id < ?)", [after.asset_id]
    if after.value is None:
        return f"(({column} IS NULL AND asset_id > ?) OR {column} IS NOT NULL)", [after.asset_id]
    if descending:
        return f"(({column}, asset_id) < (?, ?) OR {column} IS NULL)", [after.value, after.asset_id]
    return f"({column}, asset_id) > (?, ?)", [after.value, after.asset_id]


def _clause(where: list[str]) -> str:
    return " WHERE " + " AND ".join(where) if where else ""
