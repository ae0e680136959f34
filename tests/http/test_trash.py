"""The trash through the API and its page: listing what was deleted, restoring, deleting forever; a
record not in the trash is refused (and left as it was), an unknown one is not found."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image

from faceforge_adapters.bootstrap import Core
from faceforge_domain.services.assets import IngestOptions

pytestmark = pytest.mark.anyio
MISSING = "0" * 64


async def picture(core: Core, colour: tuple[int, int, int]) -> str:
    out = io.BytesIO()
    Image.new("RGB", (2, 2), colour).save(out, "PNG")

    async def chunks() -> AsyncIterator[bytes]:
        yield out.getvalue()

    return (await core.assets.ingest(chunks(), IngestOptions(filename=f"{colour[0]}.png"))).asset.asset_id


async def listed(ui: httpx.AsyncClient, path: str) -> list[str]:
    items = (await ui.get(path)).json()["data"]["items"]
    return [item.get("display_name") or item["filename"] for item in items]


async def test_in_trash_lists_only_deleted_entities_and_files(core: Core, ui: httpx.AsyncClient) -> None:
    kept, gone = await core.entities.create("Kept"), await core.entities.create("Gone")
    await ui.delete(f"/v1/entities/{gone.entity_id}")
    live_file, trashed_file = await picture(core, (10, 0, 0)), await picture(core, (20, 0, 0))
    await ui.delete(f"/v1/assets/{trashed_file}")
    assert await listed(ui, "/v1/entities?in_trash=true") == ["Gone"]
    assert await listed(ui, "/v1/entities") == [kept.display_name]
    assert await listed(ui, "/v1/assets?in_trash=true") == ["20.png"]
    assert (await ui.get("/v1/entities?in_trash=true")).json()["data"]["total"] == 1
    assert live_file != trashed_file


async def test_an_entity_deleted_forever_takes_its_facts_and_links_but_not_its_files(
    core: Core, ui: httpx.AsyncClient
) -> None:
    ada, bea = await core.entities.create("Ada"), await core.entities.create("Bea")
    file_id = await picture(core, (30, 0, 0))
    await core.assets.link(ada.entity_id, file_id)
    await core.relationships.create(
        {"src_entity_id": ada.entity_id, "dst_entity_id": bea.entity_id, "type": "knows"}
    )
    await ui.delete(f"/v1/entities/{ada.entity_id}")
    assert (await ui.post(f"/v1/entities/{ada.entity_id}/purge")).status_code == 204
    assert (await ui.get(f"/v1/entities/{ada.entity_id}?include_deleted=true")).status_code == 404
    assert (await ui.post(f"/v1/entities/{ada.entity_id}/restore")).status_code == 404
    assert (await ui.get(f"/v1/assets/{file_id}")).status_code == 200
    assert (await ui.get(f"/v1/assets/{file_id}/entities")).json()["data"]["items"] == []
    relations = await ui.get(f"/v1/relationships?entity_id={bea.entity_id}&include_deleted=true")
    assert relations.json()["data"]["items"] == []
    assert await listed(ui, "/v1/entities?q=Ada&include_deleted=true") == []


async def test_a_file_deleted_forever_is_unlinked_and_its_bytes_are_gone(
    core: Core, ui: httpx.AsyncClient
) -> None:
    ada = await core.entities.create("Ada")
    file_id = await picture(core, (40, 0, 0))
    await core.assets.link(ada.entity_id, file_id)
    stored = await core.assets.get(file_id)
    await ui.delete(f"/v1/assets/{file_id}")
    assert (await ui.post(f"/v1/assets/{file_id}/purge")).status_code == 204
    assert (await ui.get(f"/v1/assets/{file_id}?include_deleted=true")).status_code == 404
    assert (await ui.get(f"/v1/entities/{ada.entity_id}/assets")).json()["data"]["items"] == []
    with pytest.raises(Exception):  # noqa: B017, PT011  (the store's own not-found error)
        await anext(core.assets.read(stored))


@pytest.mark.parametrize("kind", ["entities", "assets"])
async def test_deleting_forever_what_is_not_in_the_trash_is_refused_and_changes_nothing(
    core: Core, ui: httpx.AsyncClient, kind: str
) -> None:
    record_id = (
        (await core.entities.create("Live")).entity_id
        if kind == "entities"
        else await picture(core, (50, 0, 0))
    )
    response = await ui.post(f"/v1/{kind}/{record_id}/purge")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert "not in the trash" in response.json()["error"]["message"]
    assert (await ui.get(f"/v1/{kind}/{record_id}")).status_code == 200
    missing = await ui.post(f"/v1/{kind}/{MISSING}/purge")
    assert missing.status_code == 404


async def test_the_trash_page_lists_each_kind_with_restore_and_delete_forever(
    core: Core, ui: httpx.AsyncClient
) -> None:
    gone = await core.entities.create("<b>Gone</b>")
    file_id = await picture(core, (60, 0, 0))
    await ui.delete(f"/v1/entities/{gone.entity_id}")
    await ui.delete(f"/v1/assets/{file_id}")
    page = (await ui.get("/ui/trash")).text
    assert "&lt;b&gt;Gone&lt;/b&gt;" in page
    assert f'data-api="/v1/entities/{gone.entity_id}/restore"' in page
    assert f'data-api="/v1/entities/{gone.entity_id}/purge"' in page
    assert 'aria-label="Delete forever: &lt;b&gt;Gone&lt;/b&gt;"' in page
    files = (await ui.get("/ui/trash?tab=files")).text
    assert "60.png" in files
    assert f'data-api="/v1/assets/{file_id}/purge"' in files
    await ui.post(f"/v1/entities/{gone.entity_id}/restore")
    assert "The trash holds no entities." in (await ui.get("/ui/trash")).text


@pytest.mark.parametrize(("kind", "page"), [("entities", "entities"), ("assets", "assets")])
async def test_the_page_a_delete_leads_to_offers_undo_while_the_record_is_in_the_trash(
    core: Core, ui: httpx.AsyncClient, kind: str, page: str
) -> None:
    if kind == "entities":
        record_id, name = (await core.entities.create("Ada & <Co>")).entity_id, "Ada &amp; &lt;Co&gt;"
    else:
        record_id, name = await picture(core, (70, 0, 0)), "70.png"
    own_page = (await ui.get(f"/ui/{page}/{record_id}")).text
    assert f'data-redirect="/ui/{page}?deleted={record_id}"' in own_page
    assert 'id="undo"' not in (await ui.get(f"/ui/{page}?deleted={record_id}")).text  # not deleted yet
    await ui.delete(f"/v1/{kind}/{record_id}")
    offered = (await ui.get(f"/ui/{page}?deleted={record_id}")).text
    assert f"“{name}” is in the trash." in offered
    assert f'data-api="/v1/{kind}/{record_id}/restore"' in offered
    assert f'data-redirect="/ui/{page}/{record_id}"' in offered
    assert 'id="undo"' not in (await ui.get(f"/ui/{page}")).text
    for wrong in (MISSING, "not-an-id", "%00"):
        response = await ui.get(f"/ui/{page}?deleted={wrong}")
        assert response.status_code == 200
        assert 'id="undo"' not in response.text


async def test_descriptors_and_relationships_go_to_the_trash_and_come_back(
    core: Core, ui: httpx.AsyncClient
) -> None:
    ada, bea = await core.entities.create("Ada"), await core.entities.create("Bea")
    await core.field_defs.create({"field_key": "nickname", "field_type": "string"})
    fact = await core.descriptors.create(ada.entity_id, {"field_key": "nickname", "value": "Countess"})
    link = await core.relationships.create(
        {"src_entity_id": ada.entity_id, "dst_entity_id": bea.entity_id, "type": "knows"}
    )
    assert (await ui.delete(f"/v1/descriptors/{fact.descriptor_id}")).status_code == 204
    assert (await ui.delete(f"/v1/relationships/{link.relationship_id}")).status_code == 204
    facts = (await ui.get("/ui/trash?tab=descriptors")).text
    assert "nickname: Countess" in facts
    assert "of Ada" in facts
    assert "Ada knows Bea" in (await ui.get("/ui/trash?tab=relationships")).text
    assert [
        r["relationship_id"]
        for r in (await ui.get("/v1/relationships?in_trash=true")).json()["data"]["items"]
    ] == [link.relationship_id]
    restored = await ui.post(f"/v1/descriptors/{fact.descriptor_id}/restore")
    assert restored.json()["data"]["deleted_at"] is None
    assert (await ui.post(f"/v1/relationships/{link.relationship_id}/restore")).status_code == 200
    assert "The trash holds no relationships." in (await ui.get("/ui/trash?tab=relationships")).text


async def test_a_relationship_made_again_meanwhile_blocks_restoring_the_old_one(
    core: Core, ui: httpx.AsyncClient
) -> None:
    ada, bea = await core.entities.create("Ada"), await core.entities.create("Bea")
    ends = {"src_entity_id": ada.entity_id, "dst_entity_id": bea.entity_id, "type": "knows"}
    old = await core.relationships.create(ends)
    await ui.delete(f"/v1/relationships/{old.relationship_id}")
    new = await core.relationships.create(ends)
    refused = await ui.post(f"/v1/relationships/{old.relationship_id}/restore")
    assert refused.status_code == 409
    assert refused.json()["error"]["details"] == {"relationship_id": new.relationship_id}
    listed = await ui.get(f"/v1/relationships?entity_id={ada.entity_id}&in_trash=true")
    assert [r["relationship_id"] for r in listed.json()["data"]["items"]] == [old.relationship_id]


@pytest.mark.parametrize("kind", ["descriptors", "relationships"])
async def test_descriptors_and_relationships_are_deleted_forever_only_from_the_trash(
    core: Core, ui: httpx.AsyncClient, kind: str
) -> None:
    ada, bea = await core.entities.create("Ada"), await core.entities.create("Bea")
    if kind == "descriptors":
        await core.field_defs.create({"field_key": "nickname", "field_type": "string"})
        record = await core.descriptors.create(ada.entity_id, {"field_key": "nickname", "value": "C"})
        record_id = record.descriptor_id
    else:
        rel = await core.relationships.create(
            {"src_entity_id": ada.entity_id, "dst_entity_id": bea.entity_id, "type": "knows"}
        )
        record_id = rel.relationship_id
    assert (await ui.post(f"/v1/{kind}/{record_id}/purge")).status_code == 409
    assert (await ui.get(f"/v1/{kind}/{record_id}")).status_code == 200
    await ui.delete(f"/v1/{kind}/{record_id}")
    assert (await ui.post(f"/v1/{kind}/{record_id}/purge")).status_code == 204
    assert (await ui.post(f"/v1/{kind}/{record_id}/restore")).status_code == 404
    assert (await ui.post(f"/v1/{kind}/{MISSING}/purge")).status_code == 404
