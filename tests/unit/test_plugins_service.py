"""The plugin registry: discovery, statuses, consent, tokens, config and job types, on in-memory fakes."""

from __future__ import annotations

import pytest
from plugins_support import HELLO_GRANT, Rig, manifest

from faceforge_adapters.memory.uow import InMemoryUnitOfWork
from faceforge_domain.errors import Conflict, Invalid, NotFound
from faceforge_domain.events import EventFilter

pytestmark = pytest.mark.anyio


@pytest.fixture
async def rig() -> Rig:
    rig = Rig()
    rig.put("hello", manifest())
    await rig.service.rescan()
    return rig


async def test_a_discovered_plugin_is_registered_disabled_with_default_config(rig: Rig) -> None:
    view = await rig.service.get("hello")
    assert view.status == "disabled"
    assert view.registered
    assert view.missing_grants == HELLO_GRANT
    config = await rig.service.config("hello")
    assert config == {
        "greeting": "Hello",
        "repeat": 1,
        "shout": False,
        "style": "plain",
        "signature": {"name": "the hello plugin"},
        "tags": [],
    }
    assert rig.event_types() == ["plugin.discovered"]


async def test_enabling_needs_every_declared_permission(rig: Rig) -> None:
    with pytest.raises(Invalid) as caught:
        await rig.service.enable("hello", ["assets:read"])
    messages = [e.message for e in caught.value.errors]
    assert any("'assets:write'" in m for m in messages)
    assert any("'jobs:run'" in m for m in messages)
    assert (await rig.service.get("hello")).status == "disabled"
    assert rig.event_types() == ["plugin.discovered"]


async def test_granting_an_undeclared_permission_is_refused(rig: Rig) -> None:
    with pytest.raises(Invalid) as caught:
        await rig.service.enable("hello", [*HELLO_GRANT, "entities:write"])
    assert [e.message for e in caught.value.errors] == [
        "'entities:write' is not a permission this plugin declares"
    ]


async def test_enable_issues_a_token_that_authenticates_and_registers_job_types(rig: Rig) -> None:
    enabled = await rig.service.enable("hello", HELLO_GRANT)
    assert enabled.plugin.status == "enabled"
    assert enabled.plugin.has_token
    assert enabled.token.startswith("ffp_")
    principal = await rig.service.authenticate(enabled.token)
    assert principal is not None
    assert principal.plugin_id == "hello"
    assert principal.allows("assets:write")
    assert not principal.allows("entities:read")
    spec = rig.registry.get("hello.greet")
    assert spec is not None
    assert spec.external
    stored = rig.uow.state.plugins["hello"]
    assert stored.token_hash is not None
    assert enabled.token not in stored.token_hash


async def test_disable_revokes_the_token_and_unregisters_job_types(rig: Rig) -> None:
    token = (await rig.service.enable("hello", HELLO_GRANT)).token
    view = await rig.service.disable("hello")
    assert view.status == "disabled"
    assert await rig.service.authenticate(token) is None
    assert rig.registry.get("hello.greet") is None
    assert rig.event_types() == ["plugin.discovered", "plugin.enabled", "plugin.disabled"]


async def test_rotating_the_token_retires_the_old_one(rig: Rig) -> None:
    old = (await rig.service.enable("hello", HELLO_GRANT)).token
    new = await rig.service.rotate_token("hello")
    assert new != old
    assert await rig.service.authenticate(old) is None
    assert await rig.service.authenticate(new) is not None


async def test_a_verified_token_is_trusted_without_a_lookup_until_the_registry_changes(rig: Rig) -> None:
    token = (await rig.service.enable("hello", HELLO_GRANT)).token
    assert await rig.service.authenticate(token) is not None
    reads = 0
    read = rig.uow.read

    def counted() -> InMemoryUnitOfWork:
        nonlocal reads
        reads += 1
        return read()

    rig.uow.read = counted  # type: ignore[method-assign]
    for _ in range(3):
        assert await rig.service.authenticate(token) is not None
    assert reads == 0
    other_process = rig.build()  # another Core on the same registry, e.g. the CLI
    await other_process.rescan()
    await other_process.disable("hello")
    reads = 0
    assert await rig.service.authenticate(token) is None
    assert reads == 1


async def test_a_disabled_plugin_has_no_token_to_rotate(rig: Rig) -> None:
    with pytest.raises(Conflict, match="disabled"):
        await rig.service.rotate_token("hello")


async def test_enabled_state_and_config_survive_a_restart(rig: Rig) -> None:
    token = (await rig.service.enable("hello", HELLO_GRANT)).token
    await rig.service.set_config("hello", {"greeting": "Hi", "repeat": 3})
    restarted = rig.build()
    await restarted.rescan()
    view = await restarted.get("hello")
    assert view.status == "enabled"
    assert (await restarted.config("hello"))["greeting"] == "Hi"
    assert await restarted.authenticate(token) is not None


async def test_an_upgrade_adding_permissions_disables_until_granted(rig: Rig) -> None:
    old_token = (await rig.service.enable("hello", HELLO_GRANT)).token
    rig.put("hello", manifest(version="1.1.0", permissions=[*HELLO_GRANT, "entities:read"]))
    await rig.service.rescan()
    view = await rig.service.get("hello")
    assert view.status == "disabled"
    assert view.missing_grants == ["entities:read"]
    assert await rig.service.authenticate(old_token) is None
    assert rig.registry.get("hello.greet") is None
    assert rig.event_types()[-2:] == ["plugin.upgraded", "plugin.disabled"]
    assert rig.uow.state.events[-1].data["missing_grants"] == ["entities:read"]
    enabled = await rig.service.enable("hello", [*HELLO_GRANT, "entities:read"])
    assert enabled.plugin.status == "enabled"


async def test_config_is_validated_with_one_error_per_pointer_and_nothing_stored(rig: Rig) -> None:
    before = await rig.service.config("hello")
    with pytest.raises(Invalid) as caught:
        await rig.service.set_config(
            "hello", {"repeat": 9, "shout": "yes", "signature": {"year": 10}, "color": "red"}
        )
    fields = [e.field for e in caught.value.errors]
    assert fields == ["/", "/repeat", "/shout", "/signature/year"]
    assert "'color' was unexpected" in caught.value.errors[0].message
    assert await rig.service.config("hello") == before
    assert rig.event_types() == ["plugin.discovered"]


async def test_a_valid_config_gets_its_defaults_filled(rig: Rig) -> None:
    stored = await rig.service.set_config("hello", {"shout": True, "signature": {"year": 2026}})
    assert stored["shout"] is True
    assert stored["greeting"] == "Hello"
    assert stored["signature"] == {"name": "the hello plugin", "year": 2026}
    assert rig.event_types()[-1] == "plugin.config_changed"


async def test_a_broken_manifest_is_listed_invalid_with_its_problems() -> None:
    rig = Rig()
    rig.put("broken", manifest(id="broken", routes_prefix=None, job_types=["broken.x"], version="one"))
    rig.put("garbage", b"{not json")
    views = {v.plugin_id: v for v in await rig.service.rescan()}
    assert views["broken"].status == "invalid"
    assert [p.pointer for p in views["broken"].problems] == ["/version"]
    assert views["garbage"].status == "invalid"
    assert views["garbage"].problems[0].file == "garbage/plugin.json"
    with pytest.raises(Conflict, match="manifest problems"):
        await rig.service.enable("broken", [])


async def test_two_folders_claiming_one_id_are_both_reported_and_neither_loaded() -> None:
    rig = Rig()
    rig.put("hello-a", manifest())
    rig.put("hello-b", manifest(version="2.0.0"))
    views = await rig.service.rescan()
    assert [v.plugin_id for v in views] == ["hello"]
    assert views[0].status == "invalid"
    assert views[0].folders == ["hello-a", "hello-b"]
    assert {p.file for p in views[0].problems} == {"hello-a/plugin.json", "hello-b/plugin.json"}
    assert "hello" not in rig.uow.state.plugins


async def test_an_incompatible_plugin_cannot_be_enabled() -> None:
    rig = Rig(core_version="2.0.0")
    rig.put("hello", manifest())
    await rig.service.rescan()
    assert (await rig.service.get("hello")).status == "incompatible"
    with pytest.raises(Conflict, match=r"needs Core >=0\.1\.0 <1\.0\.0"):
        await rig.service.enable("hello", HELLO_GRANT)


async def test_a_vanished_folder_makes_the_plugin_missing_with_its_config_kept(rig: Rig) -> None:
    await rig.service.set_config("hello", {"greeting": "Hey"})
    token = (await rig.service.enable("hello", HELLO_GRANT)).token
    del rig.source.folders["hello"]
    await rig.service.rescan()
    view = await rig.service.get("hello")
    assert view.status == "missing"
    assert view.name == "Hello"
    assert (await rig.service.config("hello"))["greeting"] == "Hey"
    assert await rig.service.authenticate(token) is None
    assert rig.registry.get("hello.greet") is None
    rig.put("hello", manifest())
    await rig.service.rescan()
    assert (await rig.service.get("hello")).status == "enabled"


async def test_routes_of_an_unknown_plugin_are_not_found_and_of_a_disabled_one_conflict(rig: Rig) -> None:
    with pytest.raises(NotFound):
        await rig.service.require_active("nope")
    with pytest.raises(Conflict, match="'hello' is disabled"):
        await rig.service.require_active("hello")
    await rig.service.enable("hello", HELLO_GRANT)
    assert (await rig.service.require_active("hello")).plugin_id == "hello"


async def test_a_plugin_token_sees_only_the_event_families_its_grants_cover(rig: Rig) -> None:
    token = (await rig.service.enable("hello", HELLO_GRANT)).token
    principal = await rig.service.authenticate(token)
    assert principal is not None
    seen = principal.event_filter(())
    assert seen.admits("asset.created", "a" * 64)
    assert not seen.admits("entity.created", "e" * 64)
    assert not seen.admits("job.succeeded", "j" * 64)
    assert seen.admits("plugin.enabled", "hello")
    assert not seen.admits("plugin.enabled", "other")
    assert EventFilter(types=("asset.*",)).admits("asset.linked", None)


async def test_a_non_plugin_token_is_not_looked_up(rig: Rig) -> None:
    assert await rig.service.authenticate("not-a-plugin-token") is None
    assert await rig.service.authenticate("ffp_unknown") is None
