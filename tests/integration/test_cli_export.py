"""``faceforge export`` and ``faceforge import`` with the real console script: a library with every kind
of record, real sample files and hostile names goes out to a folder and comes back, record for record
and byte for byte, into a new home."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest
from backup_support import one_chunk
from test_cli import ff, ok_json

from faceforge_adapters.bootstrap import Core, build_core
from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.paging import PageRequest
from faceforge_domain.queries import EntityQuery, RelationshipQuery
from faceforge_domain.services.assets import IngestOptions

ENV = {"FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false"}
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exiftool-samples"
HOSTILE = [
    "CON",
    'a/b\\c:d*e?f"g<h>i|j',
    "trailing dots. . .",
    ".hidden",
    "COM1.txt",
    "é" * 120,
    "x_meta.json",
]
ASSET_FIELDS = (
    "asset_id",
    "kind",
    "mime_type",
    "size_bytes",
    "filename",
    "filenames",
    "owner",
    "user_metadata",
    "created_at",
)  # not updated_at: the new home reads each file's metadata again, which is a change of its own


async def fill(home: Path) -> None:
    """Entities (with aliases, tags, fields, two sharing a name, hostile names), descriptors,
    relationships, every sample file (some linked with roles, one to several entities, some with
    tags in their metadata) and hostile file names; a soft-deleted entity and asset, which stay out."""
    async with build_core(home=home, env=ENV) as core:
        ada = await core.entities.create("Ada Lovelace", aliases=["Ada", "Countess"], tags=["math", "poet"])
        twin = await core.entities.create("Ada Lovelace", tags=["namesake"])
        others = [await core.entities.create(name) for name in HOSTILE]
        gone = await core.entities.create("Gone")
        await core.field_defs.create(
            {"field_key": "eye_color", "field_type": "string", "scope": "descriptor"}
        )
        await core.field_defs.create({"field_key": "height", "field_type": "int", "scope": "descriptor"})
        await core.descriptors.create(ada.entity_id, {"field_key": "eye_color", "value": "brown"})
        await core.descriptors.create(
            others[0].entity_id, {"field_key": "height", "value": 171, "note": "cm"}
        )
        await core.relationships.create(
            {"src_entity_id": ada.entity_id, "dst_entity_id": twin.entity_id, "type": "namesake"}
        )
        await core.relationships.create(
            {"src_entity_id": others[1].entity_id, "dst_entity_id": gone.entity_id, "type": "knows"}
        )
        people = [ada, twin, *others]
        for n, sample in enumerate(sorted(SAMPLES.iterdir())):
            entity = people[n % (len(people) + 1)] if n % (len(people) + 1) < len(people) else None
            options = IngestOptions(
                filename=sample.name,
                entity_id=entity.entity_id if entity else None,
                role="portrait" if n % 3 == 0 and entity else None,
                user_metadata={"tags": ["sample", f"n{n}"], "source": "exiftool"} if n % 2 else None,
            )
            asset = (await core.assets.ingest(one_chunk(sample.read_bytes()), options)).asset
            if n % 5 == 0:
                await core.assets.link(others[2].entity_id, asset.asset_id, "also")  # linked twice
        for n, name in enumerate([*HOSTILE, "Apple.jpg", "apple.JPG", "CON.txt"]):
            await core.assets.ingest(
                one_chunk(f"hostile {n}".encode()), IngestOptions(filename=name, entity_id=ada.entity_id)
            )
        lost = await core.assets.ingest(one_chunk(b"deleted"), IngestOptions(filename="deleted.txt"))
        await core.assets.delete(lost.asset.asset_id)
        await core.entities.delete(gone.entity_id)


async def snapshot(home: Path) -> dict[str, Any]:
    """Every live record as plain data, each asset's links, and each asset's bytes hashed."""
    async with build_core(home=home, env=ENV) as core:
        entities = await _pages(lambda p: core.entities.search(EntityQuery(), p))
        live = {e.entity_id for e in entities}
        relationships = [  # one to a soft-deleted entity stays out of an export, as that entity does
            r
            for r in await _pages(lambda p: core.relationships.search(RelationshipQuery(), p))
            if {r.src_entity_id, r.dst_entity_id} <= live
        ]
        fields = await core.field_defs.all()
        descriptors = []
        for entity in entities:
            descriptors += await _pages(
                lambda p, e=entity.entity_id: core.descriptors.search(e, p), offset=True
            )
        assets, links, hashes = {}, {}, {}
        for asset in await _pages(lambda p: core.assets.find(AssetQuery(), p)):
            record = msgspec.to_builtins(asset)
            assets[asset.asset_id] = {key: record[key] for key in ASSET_FIELDS}
            linked = await _pages(lambda p, a=asset.asset_id: core.assets.linked_entities(a, p))
            links[asset.asset_id] = sorted((link.entity.entity_id, link.role) for link in linked)
            hashes[asset.asset_id] = await _hash(core, asset)
    return {
        "fields": sorted(msgspec.to_builtins(fields), key=lambda f: f["field_def_id"]),
        "entities": sorted(msgspec.to_builtins(entities), key=lambda e: e["entity_id"]),
        "descriptors": sorted(msgspec.to_builtins(descriptors), key=lambda d: d["descriptor_id"]),
        "relationships": sorted(msgspec.to_builtins(relationships), key=lambda r: r["relationship_id"]),
        "assets": assets,
        "links": links,
        "hashes": hashes,
    }


async def _pages(fetch: Any, *, offset: bool = False) -> list[Any]:
    items: list[Any] = []
    page = PageRequest(limit=200)
    while True:
        result = await fetch(page)
        items += result.items
        if offset:
            if len(items) >= result.total:
                return items
            page = PageRequest(limit=200, offset=len(items))
        elif result.next_cursor is None:
            return items
        else:
            page = PageRequest(limit=200, cursor=result.next_cursor)


async def _hash(core: Core, asset: Any) -> str:
    digest = hashlib.sha256()
    async for chunk in core.assets.read(asset):
        digest.update(chunk)
    return digest.hexdigest()


def export(home: Path, target: Path) -> dict[str, Any]:
    return ok_json(home, "export", str(target), "--json", extra_env=ENV)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_an_export_imported_into_a_new_home_gives_back_every_record_link_and_byte(tmp_path: Path) -> None:
    home, target, again = tmp_path / "home", tmp_path / "out" / "export", tmp_path / "again"
    anyio.run(fill, home)
    before = anyio.run(snapshot, home)

    made = export(home, target)

    assert made["assets"] == len(before["assets"])
    assert (made["entities"], made["descriptors"], made["relationships"]) == (
        len(before["entities"]),
        len(before["descriptors"]),
        len(before["relationships"]),
    )
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["format"] == "faceforge-export"
    assert manifest["counts"]["assets"] == len(before["assets"])
    rows = [json.loads(line) for line in (target / "assets.jsonl").read_text().splitlines()]
    for row in rows:  # each file under its readable name, whole, with its sidecar beside it
        path = target / row["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["asset_id"]
        sidecar = json.loads((target / (row["path"] + ".faceforge.json")).read_text())
        assert sidecar["asset"] == row
    folders = {p.name for p in target.iterdir() if p.is_dir()}
    assert {"Ada Lovelace", "Ada Lovelace (2)", "_CON", "_COM1.txt", "x_meta_.json", "_unlinked"} <= folders
    assert "Gone" not in folders  # soft-deleted: not exported
    ada = {p.name for p in (target / "Ada Lovelace").iterdir()}
    for name in ("Apple.jpg", "apple (2).JPG", "_CON.txt", "_COM1.txt", "_hidden", "trailing dots"):
        assert {name, f"{name}.faceforge.json"} <= ada
    assert "x_meta_.json" in ada  # not taken for a sidecar on the way back

    imported = ok_json(again, "import", str(target), "--json", extra_env=ENV)

    assert imported["status"] == "succeeded", imported
    assert imported["result"]["imported"] == len(before["assets"])
    assert imported["result"]["failed"] == 0
    after = anyio.run(snapshot, again)
    assert after["fields"] == before["fields"]
    assert after["entities"] == before["entities"]
    assert after["descriptors"] == before["descriptors"]
    assert after["relationships"] == before["relationships"]
    assert after["assets"] == before["assets"]
    assert after["links"] == before["links"]
    assert after["hashes"] == before["hashes"] == {a: a for a in before["assets"]}


def test_a_second_export_writes_only_what_changed_and_drops_what_left(tmp_path: Path) -> None:
    home, target = tmp_path / "home", tmp_path / "export"

    async def small(rename: bool) -> None:
        async with build_core(home=home, env=ENV) as core:
            if not rename:
                ada = await core.entities.create("Ada")
                for n in range(3):
                    await core.assets.ingest(
                        one_chunk(f"file {n}".encode()),
                        IngestOptions(filename=f"f{n}.txt", entity_id=ada.entity_id),
                    )
                return
            [ada] = (await core.entities.search(EntityQuery(), PageRequest())).items
            await core.entities.patch(ada.entity_id, {"display_name": "Ada L"})
            await core.assets.ingest(one_chunk(b"new"), IngestOptions(filename="new.txt"))

    anyio.run(small, False)
    first = export(home, target)
    assert (first["written"], first["already_there"]) == (3, 0)
    same = export(home, target)
    assert (same["written"], same["already_there"], same["removed"]) == (0, 3, 0)

    anyio.run(small, True)
    moved = export(home, target)

    assert (moved["assets"], moved["written"]) == (4, 4)  # new paths under the renamed folder
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == sorted(
        [
            ".faceforge-export",
            "manifest.json",
            "fields.jsonl",
            "entities.jsonl",
            "descriptors.jsonl",
            "relationships.jsonl",
            "assets.jsonl",
            *(f"Ada L/f{n}.txt{s}" for n in range(3) for s in ("", ".faceforge.json")),
            "_unlinked/new.txt",
            "_unlinked/new.txt.faceforge.json",
        ]
    )


def test_a_folder_holding_other_things_is_refused_and_left_untouched(tmp_path: Path) -> None:
    home, target = tmp_path / "home", tmp_path / "photos"
    target.mkdir()
    (target / "mine.jpg").write_bytes(b"precious")

    done = ff(home, "export", str(target), extra_env=ENV)

    assert done.returncode == 2, done.stdout + done.stderr
    assert "is not empty and holds no FaceForge export" in done.stderr
    assert [p.name for p in target.iterdir()] == ["mine.jpg"]
    assert (target / "mine.jpg").read_bytes() == b"precious"
