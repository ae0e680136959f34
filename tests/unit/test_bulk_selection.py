"""Actions on several chosen entities at once, on the in-memory fakes: tags added and removed against a
plain model (case-blind, first spelling kept), and a selection with one bad id changing nothing."""

from __future__ import annotations

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceforge_adapters.memory import InMemoryUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import Invalid
from faceforge_domain.selection import Selection
from faceforge_domain.services.entities import EntityService

words = st.lists(st.sampled_from(["a", "A", "b", "B", "c"]), max_size=4)


def model(tags: list[str], add: list[str], remove: list[str]) -> list[str]:
    """The documented effect: drop what ``remove`` names whatever the case, append ``add``, keep the
    first spelling of each tag."""
    gone = {t.lower() for t in remove}
    kept: dict[str, str] = {}
    for tag in [t for t in tags if t.lower() not in gone] + add:
        kept.setdefault(tag.lower(), tag)
    return list(kept.values())


@settings(max_examples=60, deadline=None)
@given(st.lists(words, min_size=1, max_size=3), words, words)
def test_retag_matches_the_model(starts: list[list[str]], add: list[str], remove: list[str]) -> None:
    async def run() -> None:
        service = EntityService(InMemoryUnitOfWorkFactory(), FixedClock())
        made = [await service.create(f"E{n}", tags=tags) for n, tags in enumerate(starts)]
        ids = [e.entity_id for e in made]
        clash = {t.lower() for t in add} & {t.lower() for t in remove}
        if clash or not (add or remove):
            with pytest.raises(Invalid):
                await service.retag(ids, add=add, remove=remove)
            assert [(await service.get(i)).tags for i in ids] == [e.tags for e in made]
            return
        changed = await service.retag(ids, add=add, remove=remove)
        assert [e.tags for e in changed] == [model(e.tags, add, remove) for e in made]

    anyio.run(run)


def test_a_selection_names_each_bad_id_at_its_place_and_counts_repeats_once() -> None:
    good = "a" * 64
    assert Selection.of([good, good], "ids").ids == [good]
    with pytest.raises(Invalid) as bad:
        Selection.of([good, "A" * 64, "x"], "ids")
    assert [e.field for e in bad.value.errors] == ["ids/1", "ids/2"]
    with pytest.raises(Invalid):
        Selection.of([], "ids")


@pytest.mark.anyio
async def test_deleting_with_one_unknown_id_deletes_none() -> None:
    service = EntityService(InMemoryUnitOfWorkFactory(), FixedClock())
    ann = await service.create("Ann")
    with pytest.raises(Invalid) as bad:
        await service.delete_many([ann.entity_id, "f" * 64])
    assert [e.field for e in bad.value.errors] == ["entity_ids/1"]
    assert (await service.get(ann.entity_id)).deleted_at is None
