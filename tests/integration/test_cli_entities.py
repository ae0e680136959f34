"""``faceforge entity|field|descriptor|relationship`` through the real console script, no server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import ff, ok, ok_json

pytestmark = pytest.mark.slow  # each command starts Core in its own process


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "ffhome"


def test_entity_lifecycle_with_tables_and_json(home: Path) -> None:
    ada = ok_json(home, "entity", "create", "Ada Lovelace", "--alias", "Countess", "--tag", "math", "--json")
    assert ada["created_at"].endswith("Z")
    bob = ok(home, "entity", "create", "Bob").split()[0]
    table = ok(home, "entity", "list", "--sort-by", "display_name")
    assert table.splitlines()[0].split() == ["ID", "NAME", "TAGS", "CREATED"]
    assert "Ada Lovelace" in table
    assert table.rstrip().endswith("(1-2 of 2)")
    found = ok_json(home, "entity", "list", "--q", "countess", "--json")
    assert [e["entity_id"] for e in found["items"]] == [ada["entity_id"]]
    updated = ok_json(home, "entity", "update", ada["entity_id"], "--patch", '{"tags": ["poet"]}', "--json")
    assert (updated["tags"], updated["aliases"]) == (["poet"], ["Countess"])
    assert "deleted" in ok(home, "entity", "delete", bob)
    assert ok_json(home, "entity", "list", "--json")["total"] == 1
    assert ok_json(home, "entity", "restore", bob, "--json")["deleted_at"] is None
    refused = ff(home, "entity", "purge", bob)
    assert refused.returncode == 1
    assert "not in the trash" in refused.stderr
    ok(home, "entity", "delete", bob)
    assert [e["entity_id"] for e in ok_json(home, "entity", "list", "--in-trash", "--json")["items"]] == [bob]
    assert "forever" in ok(home, "entity", "purge", bob)
    assert ok_json(home, "entity", "list", "--include-deleted", "--json")["total"] == 1


def test_bad_input_exits_2_with_one_clear_line(home: Path) -> None:
    done = ff(home, "entity", "list", "--sort-by", "entity_id")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: sort_by: must be one of: created_at, updated_at, display_name"
    missing = ff(home, "entity", "show", "0" * 64)
    assert missing.returncode == 1
    assert "was not found" in missing.stderr


def test_field_defs_descriptors_and_relationships(home: Path, tmp_path: Path) -> None:
    ok(home, "field", "create", "phone", "string", "--regex", r"^\+?[0-9 ]+$", "--multiple")
    batch = tmp_path / "batch.json"
    batch.write_text(
        json.dumps([{"external_ids": {"stash": str(i)}, "display_name": f"P{i}"} for i in range(3)])
    )
    results = ok_json(home, "entity", "bulk-upsert", str(batch), "--json")
    assert [r["status"] for r in results] == ["created"] * 3
    assert {r["status"] for r in ok_json(home, "entity", "bulk-upsert", str(batch), "--json")} == {
        "unchanged"
    }
    first, second = results[0]["entity_id"], results[1]["entity_id"]
    bad = ff(home, "descriptor", "add", first, "phone", "call me")
    assert bad.returncode == 2
    assert bad.stderr.strip() == r"error: value: must match ^\+?[0-9 ]+$"
    added = ok_json(home, "descriptor", "add", first, "phone", "+44 1", "--json")
    assert added["value"] == "+44 1"
    assert ok_json(home, "descriptor", "list", first, "--json")["total"] == 1
    ok(home, "relationship", "add", first, "mentor of", second)
    types = ok_json(home, "relationship", "types", "men", "--json")
    assert types[0] == {"type": "mentor of", "count": 1, "builtin": False}
    assert (
        ok_json(home, "relationship", "list", "--entity", second, "--direction", "in", "--json")["total"] == 1
    )
