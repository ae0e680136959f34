"""The Library health page through an in-process client: the last check's findings in words, with
links to the files and entities; a running check; a failed backup folder said plainly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from test_jobs_http import wait_job

from faceforge_adapters.bootstrap import Core
from faceforge_domain.integrity.scan import JOB_TYPE
from faceforge_domain.services.assets import IngestOptions
from faceforge_http.ui import job_title

pytestmark = pytest.mark.anyio


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_a_new_library_has_not_been_checked_and_offers_both_buttons(ui: httpx.AsyncClient) -> None:
    page = (await ui.get("/ui/admin/health")).text
    assert "The library has not been checked yet." in page
    assert 'data-api="/v1/integrity-scans"' in page
    assert 'data-api="/v1/backups"' in page
    assert "No backup folder is set." in page
    assert 'href="/ui/admin/health" aria-current="page">Library health' in page


async def test_the_last_check_names_each_missing_file_and_its_entity(
    ui: httpx.AsyncClient, core: Core, auth: dict[str, str], client: httpx.AsyncClient
) -> None:
    ada = await core.entities.create("Ada <b>Lovelace</b>")
    options = IngestOptions(filename="portrait.jpg", entity_id=ada.entity_id)
    asset = (await core.assets.ingest(one_chunk(b"portrait" * 50), options)).asset
    (core.paths.assets_dir / asset.storage.key).unlink()
    job = (await client.post("/v1/integrity-scans", json={}, headers=auth)).json()["data"]
    await wait_job(client, auth, job["job_id"], "succeeded")

    page = (await ui.get("/ui/admin/health")).text

    assert "1 file needs repair." in page
    assert "Missing files (1)" in page
    assert f'<a href="/ui/assets/{asset.asset_id}">portrait.jpg</a>' in page
    assert f'<a href="/ui/entities/{ada.entity_id}">Ada &lt;b&gt;Lovelace&lt;/b&gt;</a>' in page
    assert f'href="/ui/jobs/{job["job_id"]}"' in page


async def test_a_running_check_is_shown_with_a_link_to_follow_it(ui: httpx.AsyncClient, core: Core) -> None:
    job = await core.jobs.create(JOB_TYPE, {}, created_by="test")  # this app runs no job workers here
    page = (await ui.get("/ui/admin/health")).text
    assert "A check is running (queued)" in page or "A check is running (running)" in page
    assert f'<a href="/ui/jobs/{job.job_id}">Follow it</a>' in page


def test_the_jobs_list_names_checks_and_backups_in_words() -> None:
    assert (job_title("core.integrity.scan"), job_title("core.backups.create")) == ("Library check", "Backup")


async def test_a_backup_folder_that_cannot_be_read_is_said_plainly(tmp_path: Path, core: Core) -> None:
    from faceforge_http.ui.health import snapshots_at

    snapshots, problem = await snapshots_at(core.backups, str(tmp_path / "not-yet"))
    assert (snapshots, problem) == ([], "No backup has been made in this folder yet.")
    snapshots, problem = await snapshots_at(core.backups, "relative/path")
    assert snapshots == []
    assert "absolute path" in problem
