"""``GET /v1/import-folders``: the folder picker's answers and errors over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.anyio


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's home (the import root when none is configured), with two picture folders."""
    home = tmp_path / "user"
    (home / "Pictures" / "2024").mkdir(parents=True)
    (home / ".ssh").mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


async def test_the_home_folder_is_browsed_one_level_at_a_time(
    user_home: Path, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    top = (await client.get("/v1/import-folders", headers=auth)).json()["data"]
    assert top == {
        "path": None,
        "parent": None,
        "folders": [{"name": str(user_home), "path": str(user_home)}],
        "truncated": False,
    }
    inside = (await client.get("/v1/import-folders", params={"path": str(user_home)}, headers=auth)).json()[
        "data"
    ]
    assert [f["name"] for f in inside["folders"]] == ["Pictures"]  # not .ssh
    pictures = (
        await client.get("/v1/import-folders", params={"path": str(user_home / "Pictures")}, headers=auth)
    ).json()
    assert pictures["data"]["parent"] == str(user_home)


async def test_a_way_out_is_a_403_and_a_missing_folder_a_422(
    user_home: Path, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    out = await client.get("/v1/import-folders", params={"path": f"{user_home}/../.."}, headers=auth)
    assert out.status_code == 403
    assert "outside the folders you may import from" in out.json()["error"]["message"]
    missing = await client.get("/v1/import-folders", params={"path": str(user_home / "gone")}, headers=auth)
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["field"] == "path"


async def test_the_folders_need_the_token(user_home: Path, client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/import-folders")).status_code == 401
