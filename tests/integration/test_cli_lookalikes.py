"""``faceforge asset similar`` and ``faceforge duplicate scan`` against a real home, no server."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
from typer.testing import CliRunner

from faceforge_adapters.bootstrap import build_core
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_cli.main import app
from lookalikes_support import asset_id, seed_hashes

PHOTO = 0x0F0F_3C3C_A5A5_9999


def seed(home: Path) -> None:
    async def write() -> None:
        async with build_core(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
            await seed_hashes(
                SqliteUnitOfWorkFactory(core.database), {1: PHOTO, 2: PHOTO ^ 0b101, 3: ~PHOTO + (1 << 64)}
            )

    anyio.run(write)


def invoke(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"FACEFORGE_HOME": str(home)})
    return result.exit_code, result.output


def test_similar_and_scan(home: Path) -> None:
    seed(home)
    code, output = invoke(home, "asset", "similar", asset_id(1), "--json")
    assert code == 0, output
    assert [(s["asset"]["asset_id"], s["distance"]) for s in json.loads(output)] == [(asset_id(2), 2)]
    code, output = invoke(home, "duplicate", "scan", "--max-distance", "3", "--json")
    assert code == 0, output
    result = json.loads(output[output.index("{") :])  # after the job's lines on stderr
    assert (result["hashes"], result["groups"], result["assets_in_groups"]) == (3, 1, 2)


def test_bad_distances_are_refused(home: Path) -> None:
    seed(home)
    for args in (
        ("asset", "similar", asset_id(1), "--max-distance", "13"),
        ("duplicate", "scan", "--max-distance", "99"),
    ):
        code, output = invoke(home, *args)
        assert code == 2, output
    code, output = invoke(home, "asset", "similar", asset_id(9))
    assert code != 0
    assert "was not found" in output
