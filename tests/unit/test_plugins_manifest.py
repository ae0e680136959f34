"""Reading plugin.json: a valid manifest decodes; every problem is reported with file and pointer."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plugins_support import HELLO, encode, manifest

from faceforge_adapters.plugins.schemas import JsonSchemaConfigs
from faceforge_domain.plugins.manifest import parse_manifest

FILE = "plugins/x/plugin.json"


def problems_of(data: Any) -> dict[str, str]:
    raw = data if isinstance(data, bytes) else encode(data)
    parsed, _, problems = parse_manifest(FILE, raw, JsonSchemaConfigs())
    assert parsed is None
    assert all(p.file == FILE for p in problems)
    return {p.pointer: p.message for p in problems}


def test_the_hello_manifest_is_valid() -> None:
    parsed, claimed, problems = parse_manifest(FILE, encode(HELLO), JsonSchemaConfigs())
    assert problems == []
    assert parsed is not None
    assert claimed == parsed.id == "hello"
    assert parsed.job_types == ["hello.greet"]
    assert parsed.entrypoints.runner == ["python3", "runner.py"]


def test_broken_json_is_one_problem_for_the_whole_file() -> None:
    found = problems_of(b'{"id": "x",')
    assert list(found) == [""]
    assert "not valid JSON" in found[""]


def test_every_shape_problem_is_reported_at_once_with_its_pointer() -> None:
    found = problems_of(
        manifest(
            name=None,
            capabilities=["runner", "teleport"],
            permissions="all",
            entrypoints={"runner": 5, "color": "red"},
            homepage="https://example.org",
        )
    )
    assert found["/name"] == "is required"
    assert "Invalid enum value 'teleport'" in found["/capabilities/1"]
    assert "Expected `array`" in found["/permissions"]
    assert "/entrypoints/color" in found or "/entrypoints/runner" in found
    assert found["/homepage"].startswith("unknown field")


def test_rule_problems_name_the_failing_field() -> None:
    found = problems_of(
        manifest(
            id="hello",
            version="1.0",
            core_compat=">=banana",
            routes_prefix="/v1/plugins/other",
            job_types=["greet", "hello.ok", "other.greet"],
            permissions=["assets:read", "root"],
        )
    )
    assert "semantic version" in found["/version"]
    assert "/core_compat" in found
    assert found["/routes_prefix"] == "must be '/v1/plugins/hello'"
    assert "/job_types/0" in found
    assert "/job_types/1" not in found
    assert "/job_types/2" in found
    assert "unknown permission 'root'" in found["/permissions/1"]


@pytest.mark.parametrize("bad_id", ["A", "x", "-lead", "has space", "a" * 65])
def test_ids_must_match_the_id_rule(bad_id: str) -> None:
    assert "/id" in problems_of(manifest(id=bad_id, routes_prefix=None, job_types=[]))


def test_the_config_schema_must_itself_be_a_valid_schema() -> None:
    found = problems_of(manifest(config_schema={"type": "object", "properties": {"n": {"minimum": "x"}}}))
    assert found["/config_schema/properties/n/minimum"] == "'x' is not of type 'number'"


def test_a_config_schema_must_describe_an_object() -> None:
    found = problems_of(manifest(config_schema={"type": "string"}))
    assert "/config_schema/type" in found


def test_fs_scopes_and_declared_needs_are_accepted_permissions() -> None:
    data = manifest(permissions=["fs:models/lora", "network", "gpu", "entities:read"])
    parsed, _, problems = parse_manifest(FILE, encode(data), JsonSchemaConfigs())
    assert problems == []
    assert parsed is not None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200)
@given(
    changes=st.dictionaries(
        st.sampled_from([*HELLO.keys(), "extra"]), json_values | st.sampled_from(["hello", "1.0.0", "*"])
    )
)
def test_any_manifest_gives_either_a_plugin_or_problems_never_an_exception(changes: dict[str, Any]) -> None:
    data = {**HELLO, **changes}
    parsed, _, problems = parse_manifest(FILE, encode(data), JsonSchemaConfigs())
    assert (parsed is None) == bool(problems)
    assert all(p.pointer == "" or p.pointer.startswith("/") for p in problems)


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        (
            {"type": "object", "properties": {"a": {"$ref": "https://example.org/s.json"}}},
            "/properties/a/$ref",
        ),
        ({"type": "object", "properties": {"a": {"$ref": "#/$defs/nope"}}}, "/properties/a/$ref"),
        (
            {"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}},
            "/properties/a/pattern",
        ),
    ],
)
def test_schemas_that_reach_out_or_cannot_work_are_problems(schema: dict[str, Any], where: str) -> None:
    assert "/config_schema" + where in problems_of(manifest(config_schema=schema))


def test_local_references_are_followed() -> None:
    schema = {
        "type": "object",
        "$defs": {"n": {"type": "integer"}},
        "properties": {"a": {"$ref": "#/$defs/n"}},
    }
    assert parse_manifest(FILE, encode(manifest(config_schema=schema)), JsonSchemaConfigs())[2] == []
    assert JsonSchemaConfigs().apply(schema, {"a": "x"})[1][0].field == "/a"
