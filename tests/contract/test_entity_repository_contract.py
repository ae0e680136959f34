"""One contract for the entity, field-definition, descriptor and relationship ports, run against the
in-memory fakes and the real SQLite adapter: whatever the fakes let a domain test assume, SQLite does too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from units_support import BACKENDS, units_for

from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import Conflict, Invalid
from faceforge_domain.paging import PageRequest
from faceforge_domain.ports import UnitOfWorkFactory
from faceforge_domain.queries import EntityQuery, RelationshipQuery
from faceforge_domain.services.descriptors import DescriptorService
from faceforge_domain.services.entities import EntityService
from faceforge_domain.services.fielddefs import FieldDefinitionService
from faceforge_domain.services.relationships import RelationshipService

pytestmark = pytest.mark.anyio


class Services:
    def __init__(self, units: UnitOfWorkFactory, clock: FixedClock) -> None:
        self.units = units
        self.clock = clock
        self.entities = EntityService(units, clock)
        self.field_defs = FieldDefinitionService(units, clock)
        self.descriptors = DescriptorService(units, clock)
        self.relationships = RelationshipService(units, clock)


@pytest.fixture(params=BACKENDS)
async def svc(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Services]:
    clock = FixedClock()
    async with units_for(request.param, tmp_path, clock) as units:
        yield Services(units, clock)


async def names(svc: Services, query: EntityQuery) -> list[str]:
    page = await svc.entities.search(query, PageRequest(limit=200))
    return [e.display_name for e in page.items]


async def name_set(svc: Services, query: EntityQuery) -> list[str]:
    """Matching names, order aside (entities made in the same millisecond sort by random id)."""
    return sorted(await names(svc, query))


async def test_get_round_trips_every_attribute(svc: Services) -> None:
    made = await svc.entities.create(
        "Ada",
        aliases=["Countess"],
        tags=["math"],
        external_ids={"stash": "1"},
        plugin_data={"faces": {"n": 1}},
    )
    assert await svc.entities.get(made.entity_id) == made


async def test_sorts_and_directions_agree(svc: Services) -> None:
    for name in ["bob", "Alice", "carol", "alice"]:
        await svc.entities.create(name)
        svc.clock.advance()
    by_name = await names(svc, EntityQuery.build(sort_by="display_name"))
    assert [n.lower() for n in by_name] == ["alice", "alice", "bob", "carol"]
    assert await names(svc, EntityQuery.build(sort_order="desc")) == ["alice", "carol", "Alice", "bob"]
    backwards = await names(svc, EntityQuery.build(sort_by="display_name", sort_order="desc"))
    assert backwards == list(reversed(by_name))


@pytest.mark.parametrize("sort_by", ["created_at", "updated_at", "display_name"])
@pytest.mark.parametrize("sort_order", ["asc", "desc"])
async def test_cursor_pages_cover_every_entity_once(svc: Services, sort_by: str, sort_order: str) -> None:
    made = set()
    for i in range(23):
        made.add((await svc.entities.create(f"n{i % 5}")).entity_id)  # equal names: the id breaks ties
        if i % 3:
            svc.clock.advance(timedelta(milliseconds=1))  # equal timestamps too
    query = EntityQuery.build(sort_by=sort_by, sort_order=sort_order)
    seen: list[str] = []
    cursor = None
    while True:
        page = await svc.entities.search(query, PageRequest(limit=4, cursor=cursor))
        assert page.total == 23
        seen += [e.entity_id for e in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(made)


async def test_q_matches_substrings_of_names_and_aliases_case_insensitively(svc: Services) -> None:
    ada = await svc.entities.create("Ada Lovelace", aliases=["The Countess"])
    await svc.entities.create("Charles Babbage")
    assert await names(svc, EntityQuery.build(q="LOVE")) == ["Ada Lovelace"]
    assert await names(svc, EntityQuery.build(q="countess")) == ["Ada Lovelace"]
    assert await names(svc, EntityQuery.build(q="ge")) == ["Charles Babbage"]  # shorter than a trigram
    assert await name_set(svc, EntityQuery.build(q="a")) == ["Ada Lovelace", "Charles Babbage"]
    assert await names(svc, EntityQuery.build(q='"%_')) == []
    await svc.entities.patch(
        ada.entity_id, {"aliases": ["Enchantress of Numbers"], "display_name": "A. King"}
    )
    assert await names(svc, EntityQuery.build(q="countess")) == []
    assert await names(svc, EntityQuery.build(q="lovelace")) == []
    assert await names(svc, EntityQuery.build(q="enchantress")) == ["A. King"]
    page = await svc.entities.search(EntityQuery.build(q="king"), PageRequest())
    assert page.total == 1


async def test_tags_all_must_match_case_insensitively(svc: Services) -> None:
    await svc.entities.create("a", tags=["Red", "big"])
    await svc.entities.create("b", tags=["red"])
    await svc.entities.create("c", tags=["blue", "big"])
    assert await name_set(svc, EntityQuery.build(tags=["red"])) == ["a", "b"]
    assert await name_set(svc, EntityQuery.build(tags=["RED", "Big"])) == ["a"]
    page = await svc.entities.search(EntityQuery.build(tags=["big"]), PageRequest())
    assert page.total == 2


async def test_tag_prefixes_match_the_start_of_a_tag_case_insensitively(svc: Services) -> None:
    await svc.entities.create("a", tags=["fictional", "big"])
    await svc.entities.create("b", tags=["Fiction"])
    await svc.entities.create("c", tags=["nonfiction", "big_cat"])
    assert await name_set(svc, EntityQuery.build(tag_prefixes=["ficti"])) == ["a", "b"]
    assert await name_set(svc, EntityQuery.build(tag_prefixes=["FICTI", "big"])) == ["a"]
    assert await name_set(svc, EntityQuery.build(tag_prefixes=["big_"])) == ["c"]  # "_" is no wildcard
    assert await name_set(svc, EntityQuery.build(tag_prefixes=["%"])) == []
    assert await name_set(svc, EntityQuery.build(tags=["big"], tag_prefixes=["fic"])) == ["a"]
    page = await svc.entities.search(EntityQuery.build(tag_prefixes=["fic"]), PageRequest())
    assert page.total == 2


async def test_tag_suggestions_count_live_entities_most_used_first(svc: Services) -> None:
    await svc.entities.create("a", tags=["fictional", "fiction"])
    await svc.entities.create("b", tags=["fictional"])
    gone = await svc.entities.create("c", tags=["fictive", "fictional"])
    await svc.entities.create("d", tags=["real"])
    await svc.entities.delete(gone.entity_id)
    found = await svc.entities.tag_suggestions("FIC", 10)
    assert [(t.tag, t.count) for t in found] == [("fictional", 2), ("fiction", 1)]
    assert [t.tag for t in await svc.entities.tag_suggestions("", 1)] == ["fictional"]
    assert await svc.entities.tag_suggestions("zz", 10) == []


async def test_field_filters_compare_the_value_as_text(svc: Services) -> None:
    for key, kind, multiple in [("eye", "enum", False), ("height", "int", False), ("nick", "string", True)]:
        spec = {"field_key": key, "scope": "entity", "field_type": kind, "multiple": multiple}
        if kind == "enum":
            spec["options"] = ["blue", "green"]
        await svc.field_defs.create(spec)
    await svc.entities.create("a", fields={"eye": "blue", "height": 170, "nick": ["Al", "Ace"]})
    await svc.entities.create("b", fields={"eye": "green", "height": 180})
    assert await name_set(svc, EntityQuery.build(fields=[("eye", "blue")])) == ["a"]
    assert await name_set(svc, EntityQuery.build(fields=[("height", "180")])) == ["b"]
    assert await name_set(svc, EntityQuery.build(fields=[("nick", "Ace")])) == ["a"]
    assert await name_set(svc, EntityQuery.build(fields=[("eye", "green"), ("height", "170")])) == []


async def test_soft_deleted_entities_are_hidden_unless_asked_for(svc: Services) -> None:
    keep = await svc.entities.create("keep")
    gone = await svc.entities.create("gone")
    await svc.entities.delete(gone.entity_id)
    assert await names(svc, EntityQuery.build()) == ["keep"]
    everyone = await svc.entities.search(EntityQuery.build(include_deleted=True), PageRequest())
    assert {e.entity_id for e in everyone.items} == {keep.entity_id, gone.entity_id}
    assert everyone.total == 2
    assert (await svc.entities.search(EntityQuery.build(), PageRequest())).total == 1
    await svc.entities.restore(gone.entity_id)
    assert (await svc.entities.search(EntityQuery.build(), PageRequest())).total == 2


async def test_external_ids_belong_to_one_entity(svc: Services) -> None:
    first = await svc.entities.create("a", external_ids={"stash": "1"})
    with pytest.raises(Conflict):
        await svc.entities.create("b", external_ids={"stash": "1"})
    await svc.entities.patch(first.entity_id, {"external_ids": {"stash": None, "tpdb": "9"}})
    second = await svc.entities.create("b", external_ids={"stash": "1"})
    async with svc.units.read() as uow:
        assert await uow.entities.find_by_external_id("stash", "1") == second.entity_id
        assert await uow.entities.find_by_external_id("tpdb", "9") == first.entity_id
        assert await uow.entities.count() == 2


async def test_bulk_upsert_twice_is_all_unchanged(svc: Services) -> None:
    items = [{"display_name": f"P{i}", "external_ids": {"stash": str(i)}, "tags": ["t"]} for i in range(50)]
    first = await svc.entities.bulk_upsert(items)
    assert {r.status for r in first} == {"created"}
    svc.clock.advance()
    again = await svc.entities.bulk_upsert(items, "replace")
    assert {r.status for r in again} == {"unchanged"}
    assert [r.entity_id for r in again] == [r.entity_id for r in first]
    page = await svc.entities.search(EntityQuery.build(tags=["t"]), PageRequest())
    assert page.total == 50


async def test_descriptors_list_oldest_first_and_count(svc: Services) -> None:
    entity = await svc.entities.create("a")
    await svc.field_defs.create({"field_key": "address", "field_type": "text", "multiple": True})
    made = []
    for street in ["1 Elm", "2 Oak", "3 Ash"]:
        made.append(await svc.descriptors.create(entity.entity_id, {"field_key": "address", "value": street}))
        svc.clock.advance()
    await svc.descriptors.delete(made[1].descriptor_id)
    page = await svc.descriptors.search(entity.entity_id, PageRequest(limit=1, offset=1))
    assert [d.value for d in page.items] == ["3 Ash"]
    assert page.total == 2
    everything = await svc.descriptors.search(entity.entity_id, PageRequest(), include_deleted=True)
    assert [d.value for d in everything.items] == ["1 Elm", "2 Oak", "3 Ash"]


async def test_field_definitions_list_in_order_and_delete(svc: Services) -> None:
    await svc.field_defs.create({"field_key": "b", "field_type": "string", "order": 1})
    await svc.field_defs.create({"field_key": "a", "field_type": "string", "order": 2})
    await svc.field_defs.create({"field_key": "b", "field_type": "int", "scope": "entity"})
    assert [(d.field_key, d.scope) for d in await svc.field_defs.all()] == [
        ("b", "entity"),
        ("b", "descriptor"),
        ("a", "descriptor"),
    ]
    await svc.field_defs.delete("b", "entity")
    assert [d.field_key for d in await svc.field_defs.all("entity")] == []


async def test_relationships_both_directions_and_type_counts(svc: Services) -> None:
    a, b, c = [await svc.entities.create(n) for n in "abc"]
    await svc.relationships.create(
        {"src_entity_id": a.entity_id, "dst_entity_id": b.entity_id, "type": "friend"}
    )
    await svc.relationships.create(
        {"src_entity_id": c.entity_id, "dst_entity_id": a.entity_id, "type": "Friend"}
    )
    rel = await svc.relationships.create(
        {"src_entity_id": b.entity_id, "dst_entity_id": c.entity_id, "type": "rival"}
    )
    with pytest.raises(Conflict):
        await svc.relationships.create(
            {"src_entity_id": b.entity_id, "dst_entity_id": c.entity_id, "type": "rival"}
        )
    with pytest.raises(Invalid):
        await svc.relationships.create(
            {"src_entity_id": b.entity_id, "dst_entity_id": b.entity_id, "type": "rival"}
        )

    async def count(**kwargs: str) -> int:
        return (await svc.relationships.search(RelationshipQuery.build(**kwargs), PageRequest())).total

    assert await count(entity_id=a.entity_id) == 2
    assert await count(entity_id=a.entity_id, direction="out") == 1
    assert await count(entity_id=a.entity_id, direction="in") == 1
    assert await count(type="FRIEND") == 2
    await svc.relationships.delete(rel.relationship_id)
    assert await count() == 2
    async with svc.units.read() as uow:
        assert sorted(await uow.relationships.type_counts()) == [("Friend", 1), ("friend", 1)]
    again = await svc.relationships.create(
        {"src_entity_id": b.entity_id, "dst_entity_id": c.entity_id, "type": "rival"}
    )
    assert again.relationship_id != rel.relationship_id  # a deleted link does not block a new one


@pytest.mark.parametrize("sort_order", ["asc", "desc"])
async def test_tag_lists_page_by_cursor_and_skip_deleted(svc: Services, sort_order: str) -> None:
    made = []
    for i in range(12):
        made.append(await svc.entities.create(f"n{i}", tags=["blue", "big"] if i % 2 else ["blue"]))
        svc.clock.advance(timedelta(milliseconds=i % 2))
    await svc.entities.delete(made[3].entity_id)
    query = EntityQuery.build(tags=["BLUE", "big"], sort_order=sort_order)
    seen, cursor = [], None
    while True:
        page = await svc.entities.search(query, PageRequest(limit=2, cursor=cursor))
        assert page.total == 5
        seen += [e.display_name for e in page.items]
        if (cursor := page.next_cursor) is None:
            break
    expected = [e.display_name for e in made if e.display_name in {"n1", "n5", "n7", "n9", "n11"}]
    assert seen == (expected if sort_order == "asc" else expected[::-1])
    everything = await svc.entities.search(
        EntityQuery.build(tags=["blue"], include_deleted=True), PageRequest(limit=50)
    )
    assert everything.total == 12
    await svc.entities.restore(made[3].entity_id)
    assert (await svc.entities.search(query, PageRequest())).total == 6
    await svc.entities.patch(made[3].entity_id, {"tags": ["red"]})
    assert (await svc.entities.search(query, PageRequest())).total == 5


async def test_entities_are_found_by_the_picture_they_show_or_keep_from_the_trash(svc: Services) -> None:
    shown, kept = "a" * 64, "b" * 64
    ada, bea, cy = [await svc.entities.create(name) for name in ("Ada", "Bea", "Cy")]
    async with svc.units.write() as uow:
        ada.primary_thumbnail_asset_id = shown
        bea.trashed_thumbnail_asset_id = kept
        cy.deleted_at = svc.clock.now()
        cy.trashed_thumbnail_asset_id = kept
        for entity in (ada, bea, cy):
            await uow.entities.update(entity)
        await uow.commit()
    async with svc.units.read() as uow:
        assert await uow.entities.showing_thumbnail([shown, kept]) == [ada.entity_id]
        assert await uow.entities.keeping_trashed_thumbnail([shown, kept]) == sorted(
            [bea.entity_id, cy.entity_id]
        )
        assert await uow.entities.keeping_trashed_thumbnail([]) == []
    assert (await svc.entities.get(bea.entity_id)).trashed_thumbnail_asset_id == kept


async def test_the_trash_lists_only_deleted_entities_and_counts_them(svc: Services) -> None:
    for name in ("live", "gone", "also gone"):
        made = await svc.entities.create(name, tags=["t"])
        svc.clock.advance()
        if name != "live":
            await svc.entities.delete(made.entity_id)
    for query in (
        EntityQuery.build(in_trash=True, sort_by="updated_at", sort_order="desc"),
        EntityQuery.build(in_trash=True, tags=["t"]),
    ):
        page = await svc.entities.search(query, PageRequest())
        assert sorted(e.display_name for e in page.items) == ["also gone", "gone"]
        assert page.total == 2
    assert await names(svc, EntityQuery.build()) == ["live"]


async def test_an_entity_removed_for_good_takes_what_hangs_off_it(svc: Services) -> None:
    a, b = await svc.entities.create("Ada", external_ids={"stash": "1"}), await svc.entities.create("Bea")
    await svc.field_defs.create({"field_key": "note", "field_type": "text"})
    await svc.descriptors.create(a.entity_id, {"field_key": "note", "value": "x"})
    await svc.relationships.create(
        {"src_entity_id": b.entity_id, "dst_entity_id": a.entity_id, "type": "knows"}
    )
    await svc.entities.delete(a.entity_id)
    await svc.entities.delete_forever(a.entity_id)
    async with svc.units.read() as uow:
        assert await uow.entities.get(a.entity_id, include_deleted=True) is None
        assert await uow.entities.find_by_external_id("stash", "1") is None
        assert await uow.entities.count(include_deleted=True) == 1
    assert (
        await svc.relationships.search(
            RelationshipQuery(entity_id=b.entity_id, include_deleted=True), PageRequest()
        )
    ).total == 0
    assert await names(svc, EntityQuery.build(q="Ada", include_deleted=True)) == []
    async with svc.units.write() as uow:  # rolled back: only asks
        assert not await uow.entities.remove(a.entity_id)


async def test_descriptors_and_relationships_in_the_trash_are_listed_restored_and_removed(
    svc: Services,
) -> None:
    a, b = await svc.entities.create("a"), await svc.entities.create("b")
    await svc.field_defs.create({"field_key": "note", "field_type": "text", "multiple": True})
    kept = await svc.descriptors.create(a.entity_id, {"field_key": "note", "value": "kept"})
    gone = await svc.descriptors.create(b.entity_id, {"field_key": "note", "value": "gone"})
    ends = {"src_entity_id": a.entity_id, "dst_entity_id": b.entity_id, "type": "knows"}
    rel = await svc.relationships.create(ends)
    await svc.descriptors.delete(gone.descriptor_id)
    await svc.relationships.delete(rel.relationship_id)
    trashed = await svc.descriptors.in_trash(PageRequest())
    assert ([d.descriptor_id for d in trashed.items], trashed.total) == ([gone.descriptor_id], 1)
    in_trash = RelationshipQuery.build(in_trash=True)
    assert [r.relationship_id for r in (await svc.relationships.search(in_trash, PageRequest())).items] == [
        rel.relationship_id
    ]
    twin = await svc.relationships.create(ends)
    with pytest.raises(Conflict):
        await svc.relationships.restore(rel.relationship_id)
    await svc.relationships.delete(twin.relationship_id)
    await svc.relationships.delete_forever(twin.relationship_id)
    assert (await svc.relationships.restore(rel.relationship_id)).deleted_at is None
    assert (await svc.descriptors.restore(gone.descriptor_id)).deleted_at is None
    with pytest.raises(Conflict):
        await svc.descriptors.delete_forever(kept.descriptor_id)
    await svc.descriptors.delete(kept.descriptor_id)
    await svc.descriptors.delete_forever(kept.descriptor_id)
    async with svc.units.read() as uow:
        assert await uow.descriptors.get(kept.descriptor_id, include_deleted=True) is None
        assert await uow.relationships.get(twin.relationship_id, include_deleted=True) is None
        assert await uow.descriptors.count(None, in_trash=True) == 0
