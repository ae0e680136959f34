"""Jobs in words: one progress measure with files and bytes, an import's result as sentences, and a
canceled job showing how far it got (never 100%)."""

from __future__ import annotations

import re

import httpx
import pytest

from faceforge_adapters.bootstrap import Core
from faceforge_domain.jobs.models import JobError, Progress
from faceforge_http.ui.jobwords import import_summary, progress_text

pytestmark = pytest.mark.anyio
EXTERNAL = "testplug.work"
MB = 1024 * 1024


def test_the_text_gives_the_bars_percent_with_files_and_bytes() -> None:
    progress = {
        "percent": 37.5,
        "current": 148,
        "total": 406,
        "bytes_current": 120 * MB,
        "bytes_total": 320 * MB,
    }
    assert progress_text(progress, "running") == "37% · 148 of 406 files · 120.0 MB of 320.0 MB"
    assert progress_text(progress, "canceled").startswith("Stopped at 37% · 148 of 406 files")
    assert progress_text({"percent": 25.0, "current": 2, "total": 8}, "running") == "25% · 2 of 8 files"
    assert progress_text({}, "queued") == ""


def test_an_import_result_reads_as_sentences() -> None:
    result = {
        "imported": 1,
        "duplicates": 2,
        "skipped": 3,
        "failed": 1,
        "bytes": 2048,
        "sidecars": 0,
        "warnings": 0,
        "skipped_by_reason": {
            "hidden (include_hidden is off)": 2,
            "symbolic link (follow_symlinks is off)": 1,
        },
    }
    assert import_summary(result) == [
        "1 file imported (2.0 KB read in all).",
        "2 files were already stored, so kept once.",
        "3 skipped: 2 hidden (include_hidden is off); 1 symbolic link (follow_symlinks is off).",
        "1 file could not be imported; the log below says why.",
    ]
    assert import_summary({"imported": 0, "bytes": 0}) == ["0 files imported (0 bytes read in all)."]


async def test_a_canceled_job_shows_where_it_stopped_in_the_list_and_on_its_page(
    ui: httpx.AsyncClient, core: Core
) -> None:
    core.jobs.registry.register_external(EXTERNAL)
    job = await core.jobs.create(EXTERNAL, {}, created_by="test")
    claimed = await core.jobs.claim(job.job_id, "runner")
    assert claimed.lease_id is not None
    progress = Progress(current=148, total=406, bytes_current=120 * MB, bytes_total=320 * MB)
    await core.jobs.report_progress(job.job_id, claimed.lease_id, progress)
    await core.jobs.cancel(job.job_id)
    await core.jobs.fail(job.job_id, claimed.lease_id, JobError(code="canceled", message="stopped"))
    stopped = "Stopped at 37% · 148 of 406 files · 120.0 MB of 320.0 MB"
    listing = (await ui.get("/ui/jobs")).text
    assert stopped in listing
    assert re.search(r'<progress max="100" value="37\.5"', listing)
    page = (await ui.get(f"/ui/jobs/{job.job_id}")).text
    assert f'<p id="job-counts" class="muted">{stopped}</p>' in page
    assert 'value="100"' not in page
