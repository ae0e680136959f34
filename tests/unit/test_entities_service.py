"""EntityService on the in-memory fakes: random sequences of merge patches against a plain-dict model.

The model knows nothing of merge_patch: it applies each patch key by key the way the API promises, and
checks that ``entity_id``/``created_at`` never move and ``updated_at`` moves exactly when a value did.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import anyio
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from faceforge_adapters.memory import InMemoryUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.paging import PageRequest
from faceforge_domain.queries import EntityQuery
from faceforge_domain.services.entities import EntityService

names = st.sampled_from(["Ada", "Bea", "Cy"])
word_lists = st.lists(st.sampled_from(["x", "y", "z"]), unique=True, max_size=3)
plugin_values = st.none() | st.integers(0, 3)
patches = st.fixed_dictionaries(
    {},
    optional={
        "display_name": names,
        "aliases": st.none() | word_lists,
        "tags": st.none() | word_lists,
        "plugin_data": st.none() | st.dictionaries(st.sampled_from(["p", "q"]), plugin_values, max_size=2),
    },
)
DEFAULTS: dict[str, Any] = {"aliases": [], "tags": [], "plugin_data": {}}


def apply_model(values: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """The documented effect of a patch, written out key by key."""
    new = {**values, "plugin_data": dict(values["plugin_data"])}
    for key, value in patch.items():
        if key == "plugin_data" and value is not None:
            for plugin, setting in value.items():
                if setting is None:
                    new["plugin_data"].pop(plugin, None)
                else:
                    new["plugin_data"][plugin] = setting
        elif value is None:
            new[key] = DEFAULTS[key]
        else:
            new[key] = value
    return new


class Record:
    def __init__(self, values: dict[str, Any], created_at: datetime) -> None:
        self.values = values
        self.created_at = created_at
        self.updated_at = created_at
        self.deleted = False


class EntityPatching(RuleBasedStateMachine):
    entities = Bundle("entities")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock()
        self.service = EntityService(InMemoryUnitOfWorkFactory(), self.clock)
        self.model: dict[str, Record] = {}

    @rule(target=entities, name=names, tags=word_lists)
    def create(self, name: str, tags: list[str]) -> str:
        entity = anyio.run(lambda: self.service.create(name, tags=tags))
        values = {"display_name": name, "aliases": [], "tags": tags, "plugin_data": {}}
        self.model[entity.entity_id] = Record(values, self.clock.now())
        self.clock.advance(timedelta(milliseconds=1))
        return entity.entity_id

    @rule(entity_id=entities, patch=patches)
    def patch(self, entity_id: str, patch: dict[str, Any]) -> None:
        record = self.model[entity_id]
        if record.deleted:
            return
        anyio.run(lambda: self.service.patch(entity_id, patch))
        new = apply_model(record.values, patch)
        if new != record.values:
            record.values, record.updated_at = new, self.clock.now()
        self.clock.advance(timedelta(milliseconds=1))

    @rule(entity_id=consumes(entities))
    def delete_and_restore(self, entity_id: str) -> None:
        record = self.model[entity_id]
        if not record.deleted:
            anyio.run(lambda: self.service.delete(entity_id))
            record.deleted, record.updated_at = True, self.clock.now()
        self.clock.advance(timedelta(milliseconds=1))
        anyio.run(lambda: self.service.restore(entity_id))
        record.deleted, record.updated_at = False, self.clock.now()
        self.clock.advance(timedelta(milliseconds=1))

    @invariant()
    def service_matches_model(self) -> None:
        for entity_id, record in self.model.items():
            entity = anyio.run(lambda e=entity_id: self.service.get(e, include_deleted=True))
            assert entity.entity_id == entity_id
            assert {key: getattr(entity, key) for key in record.values} == record.values
            assert (entity.created_at, entity.updated_at) == (record.created_at, record.updated_at)
            assert (entity.deleted_at is not None) == record.deleted
        page = anyio.run(lambda: self.service.search(EntityQuery(), PageRequest(limit=200)))
        assert page.total == sum(1 for r in self.model.values() if not r.deleted)


EntityPatching.TestCase.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)
TestEntityPatching = EntityPatching.TestCase
