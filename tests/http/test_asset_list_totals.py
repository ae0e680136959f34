"""The asset list stops counting past 1,000 matches: the API says so (`total_exact`), the Files page
shows "1,000+" and still offers the next page; a 1-2 character search matches the start of names."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from assets_support import same_loop_client

from faceforge_adapters.bootstrap import Core
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.asset_query import TOTAL_CAP
from faceforge_domain.models import Asset, StorageLocation
from faceforge_http.ui.pages import PAGE_SIZE

pytestmark = pytest.mark.anyio
START = datetime(2026, 1, 1, tzinfo=UTC)


def record(n: int, name: str) -> Asset:
    sha = hashlib.sha256(b"totals %d" % n).hexdigest()
    return Asset(
        asset_id=sha,
        kind="image.original",
        mime_type="image/jpeg",
        size_bytes=n + 1,
        filename=name,
        filenames=[name],
        storage=StorageLocation(provider="fs", key=sha),
        created_at=START + timedelta(seconds=n),
        updated_at=START,
    )


async def store(core: Core, names: list[str]) -> None:
    """Records only (no bytes): the lists read records alone."""
    async with SqliteUnitOfWorkFactory(core.database).write() as uow:
        await uow.assets.add_many([record(n, name) for n, name in enumerate(names)])
        await uow.commit()


@pytest.fixture
async def client(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    async with same_loop_client(core) as http:
        yield http


async def test_the_api_says_when_it_stopped_counting(
    core: Core, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await store(core, [f"IMG_{n}.jpg" for n in range(TOTAL_CAP + 1)] + ["notes.pdf"])
    many = (await client.get("/v1/assets", params={"q": "img"}, headers=auth)).json()["data"]
    assert (many["total"], many["total_exact"]) == (TOTAL_CAP, False)
    assert many["next_cursor"] is not None
    few = (await client.get("/v1/assets", params={"q": "notes"}, headers=auth)).json()["data"]
    assert (few["total"], few["total_exact"]) == (1, True)
    far = await client.get("/v1/assets", params={"q": "img", "offset": TOTAL_CAP - 10}, headers=auth)
    assert (far.json()["data"]["total"], far.json()["data"]["total_exact"]) == (TOTAL_CAP + 1, False)


async def test_a_short_search_matches_the_start_of_a_name(
    core: Core, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await store(core, ["Nyx.jpg", "sunny.jpg", "ny.png"])
    found = (await client.get("/v1/assets", params={"q": "NY"}, headers=auth)).json()["data"]
    assert sorted(a["filename"] for a in found["items"]) == ["Nyx.jpg", "ny.png"]
    inside = (await client.get("/v1/assets", params={"q": "nny"}, headers=auth)).json()["data"]
    assert [a["filename"] for a in inside["items"]] == ["sunny.jpg"]


async def test_the_files_page_shows_at_least_and_pages_on(core: Core, ui: httpx.AsyncClient) -> None:
    await store(core, [f"IMG_{n}.jpg" for n in range(TOTAL_CAP + 1)])
    first = await ui.get("/ui/assets")
    assert f"1\u2013{PAGE_SIZE} of 1,000+ files" in first.text
    assert 'rel="next"' in first.text
    last = await ui.get("/ui/assets", params={"offset": TOTAL_CAP})
    assert "1001\u20131001 of 1,001+ files" in last.text
    assert 'rel="next"' not in last.text
