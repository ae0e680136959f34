"""Real ExifTool: the pool matches one-shot runs on every sample, and ingest records what the rules say."""

from __future__ import annotations

import logging
import shutil
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_adapters.cli.assets import read_file
from faceforge_adapters.exiftool import ExifToolPool, run_oneshot, write_argfile
from faceforge_adapters.exiftool.args import PARAMETERS, argfile_text, pool_request
from faceforge_adapters.exiftool.extractor import staging_name
from faceforge_domain.metadata import REMOVED_KEYS, MetadataError, exiftool_entry, skip_reason
from faceforge_domain.services.assets import IngestOptions

pytestmark = pytest.mark.anyio

# tests/conftest.py:EXIFTOOL_SAMPLES (the bare name "conftest" is ambiguous from a layer folder)
EXIFTOOL_SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exiftool-samples"
EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
SAMPLES = sorted(p for p in EXIFTOOL_SAMPLES.iterdir() if p.is_file()) if EXIFTOOL_SAMPLES.is_dir() else []


def test_argfile_has_one_argument_per_line_and_ends_with_double_dash() -> None:
    lines = argfile_text().splitlines()
    assert lines == [
        "-quiet",
        "-extractEmbedded3",
        "-scanForXMP",
        "-unknown2",
        "-json",
        "-G3:1",
        "-struct",
        "-b",
        "-ignoreMinorErrors",
        "-charset",
        "filename=utf8",
        "-api",
        "requestall=3",
        "-api",
        "largefilesupport=1",
        "--",
    ]


def test_pool_request_has_no_double_dash_and_needs_an_absolute_path() -> None:
    request = pool_request(Path("/data/a b.jpg"), 7).decode().splitlines()
    assert request == [*PARAMETERS, "/data/a b.jpg", "-execute7"]
    with pytest.raises(ValueError, match="absolute"):
        pool_request(Path("relative.jpg"), 1)


# ``-api requestall=3`` also reports the time of the run and how long it took: the only values that
# legitimately differ between two runs over the same file.
VOLATILE = {"ExifTool:ProcessingTime", "ExifTool:Now"}


def _stable(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "Data": {k: v for k, v in entry["Data"].items() if k not in VOLATILE}}


@pytest.fixture
async def pool() -> AsyncIterator[ExifToolPool]:
    assert EXIFTOOL is not None
    started = ExifToolPool(Path(EXIFTOOL), 2)
    try:
        yield started
    finally:
        await started.aclose()


@needs_exiftool
@pytest.mark.slow
async def test_pool_and_oneshot_store_identical_json_for_every_sample(
    pool: ExifToolPool, tmp_path: Path
) -> None:
    assert SAMPLES, f"no samples in {EXIFTOOL_SAMPLES}"
    assert EXIFTOOL is not None
    argfile = write_argfile(tmp_path / "exiftool.args")
    mismatched, compared = [], 0

    async def compare(path: Path) -> None:
        nonlocal compared
        pooled = await pool.run(path, limit_s=120)
        single = await run_oneshot(Path(EXIFTOOL), argfile, path)
        try:
            same = _stable(exiftool_entry(pooled)) == _stable(exiftool_entry(single))
        except MetadataError:
            same = pooled == single
        compared += 1
        if not same:
            mismatched.append(path.name)

    limiter = anyio.CapacityLimiter(2)

    async def limited(path: Path) -> None:
        async with limiter:
            await compare(path)

    async with anyio.create_task_group() as group:
        for path in SAMPLES:
            group.start_soon(limited, path.absolute())
    assert compared == len(SAMPLES)
    assert mismatched == []


@needs_exiftool
async def test_pool_reuses_its_workers(pool: ExifToolPool) -> None:
    first = SAMPLES[0].absolute()
    for _ in range(5):
        assert exiftool_entry(await pool.run(first, limit_s=60))["Data"]
    assert pool.running == 1


def _fake_tool(tmp_path: Path, body: str) -> Path:
    """A stand-in executable that speaks (or breaks) the -stay_open protocol: a real process, no mocks."""
    script = tmp_path / "fake-exiftool"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


async def test_stuck_worker_is_killed_and_replaced(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    tool = _fake_tool(tmp_path, "exec sleep 30\n")
    pool = ExifToolPool(tool, 1)
    try:
        with caplog.at_level(logging.INFO, logger="faceforge.exiftool"):
            for _ in range(2):
                with pytest.raises(MetadataError, match="longer than"):
                    await pool.run(tmp_path / "x.jpg", limit_s=0.3, asset_id="a" * 64)
        assert pool.running == 0
        events = [r.__dict__.get("event") for r in caplog.records]
        assert events.count("exiftool.worker_start") == 2
        assert events.count("exiftool.timeout") == 2
        timeout = next(r for r in caplog.records if r.__dict__.get("event") == "exiftool.timeout")
        assert timeout.__dict__["asset_id"] == "a" * 64
    finally:
        await pool.aclose()


async def test_crashed_worker_is_replaced(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    tool = _fake_tool(tmp_path, "read line\nexit 3\n")
    pool = ExifToolPool(tool, 1)
    try:
        with caplog.at_level(logging.INFO, logger="faceforge.exiftool"):
            for _ in range(2):
                with pytest.raises(MetadataError, match="stopped unexpectedly"):
                    await pool.run(tmp_path / "x.jpg", limit_s=10)
        events = [r.__dict__.get("event") for r in caplog.records]
        assert events.count("exiftool.crash") == 2
        assert events.count("exiftool.worker_start") == 2
    finally:
        await pool.aclose()


async def test_missing_tool_is_a_metadata_error(tmp_path: Path) -> None:
    pool = ExifToolPool(tmp_path / "no-such-exiftool", 1)
    with pytest.raises(MetadataError, match="could not start"):
        await pool.run(tmp_path / "x.jpg", limit_s=5)


@pytest.fixture
async def exif_core(home: Path) -> AsyncIterator[Core]:
    async with bootstrap(
        home=home, env={"FACEFORGE_HOME": str(home), "FACEFORGE_TOOLS__EXIFTOOL_WORKERS": "2"}
    ) as core:
        yield core


async def _ingest(core: Core, path: Path) -> str:
    result = await core.assets.ingest(read_file(path), IngestOptions(filename=path.name))
    return result.asset.asset_id


@needs_exiftool
@pytest.mark.slow
async def test_every_sample_ingests_done_or_skipped_without_removed_keys(exif_core: Core) -> None:
    ids = {path.name: await _ingest(exif_core, path) for path in SAMPLES}
    await exif_core.metadata.wait_idle()
    problems = []
    for name, asset_id in ids.items():
        asset = await exif_core.assets.get(asset_id)
        expected = "skipped" if skip_reason(name) else "done"
        if asset.metadata_status != expected and asset.filename == name:
            problems.append((name, asset.metadata_status, asset.metadata_reason))
        for entry in asset.extracted_metadata:
            assert entry["Source"] == "ExifTool"
            assert entry["Type"] == "JsonMetadata"
            assert entry["Name"] is None
            assert entry["NameHashes"] is None
            assert not REMOVED_KEYS & entry["Data"].keys()
    assert problems == []
    leftovers = [p for p in exif_core.paths.tmp_dir.rglob("*") if p.is_file()]
    assert leftovers == []


@needs_exiftool
async def test_exiftool_sees_the_original_name_and_extension(exif_core: Core) -> None:
    jpeg = next(p for p in SAMPLES if p.suffix.lower() == ".jpg")
    asset_id = await _ingest(exif_core, jpeg)
    await exif_core.metadata.wait_idle()
    asset = await exif_core.assets.get(asset_id)
    assert asset.metadata_status == "done", asset.metadata_reason
    data = asset.extracted_metadata[0]["Data"]
    assert data["File:FileType"] == "JPEG"
    assert data["SourceFile"].endswith("/" + jpeg.name)


@pytest.mark.parametrize(
    "name",
    [
        "photo_meta.json",
        "Folder_DirectoryMeta.JSON",
        "clip.thumb",
        "x.THUMBNAIL",
        "a.thumbdb",
        "Thumbs.db",
        "thumbindex.db",
    ],
)
async def test_skip_patterns_mark_the_asset_skipped(exif_core: Core, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(b"{}" + name.encode())
    asset_id = await _ingest(exif_core, path)
    await exif_core.metadata.wait_idle()
    asset = await exif_core.assets.get(asset_id)
    assert asset.metadata_status == "skipped"
    assert asset.metadata_reason is not None
    assert "skip pattern" in asset.metadata_reason
    assert asset.extracted_metadata == []


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ({"FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false"}, "disabled"),
        ({"FACEFORGE_TOOLS__EXIFTOOL_PATH": "{tmp}/nowhere/exiftool"}, "not found"),
    ],
    ids=["disabled", "missing"],
)
async def test_no_exiftool_skips_with_the_reason(
    home: Path, tmp_path: Path, setting: dict[str, str], reason: str
) -> None:
    env = {"FACEFORGE_HOME": str(home), **{k: v.format(tmp=tmp_path) for k, v in setting.items()}}
    async with bootstrap(home=home, env=env) as core:
        path = tmp_path / "photo.jpg"
        path.write_bytes(b"\xff\xd8\xff\xe0 not much of a jpeg")
        asset_id = await _ingest(core, path)
        await core.metadata.wait_idle()
        asset = await core.assets.get(asset_id)
    assert asset.metadata_status == "skipped"
    assert asset.metadata_reason is not None
    assert reason in asset.metadata_reason


async def test_tool_printing_garbage_marks_failed_and_keeps_the_asset(home: Path, tmp_path: Path) -> None:
    tool = _fake_tool(
        tmp_path,
        'while read line; do case "$line" in -execute*) n=${line#-execute}; '
        'echo "this is not json"; echo "{ready$n}";; esac; done\n',
    )
    env = {"FACEFORGE_HOME": str(home), "FACEFORGE_TOOLS__EXIFTOOL_PATH": str(tool)}
    async with bootstrap(home=home, env=env) as core:
        path = tmp_path / "photo.jpg"
        path.write_bytes(b"\xff\xd8\xff\xe0 tiny")
        asset_id = await _ingest(core, path)
        await core.metadata.wait_idle()
        asset = await core.assets.get(asset_id)
        assert asset.metadata_status == "failed"
        assert asset.metadata_reason is not None
        assert "invalid JSON" in asset.metadata_reason
        assert (core.paths.assets_dir / asset.storage.key).is_file()


async def test_pending_assets_are_processed_after_a_restart(home: Path, tmp_path: Path) -> None:
    env = {"FACEFORGE_HOME": str(home), "FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false"}
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 restart")
    async with bootstrap(home=home, env=env) as core:
        asset = (await core.assets.ingest(read_file(path), IngestOptions(filename=path.name))).asset
        await core.metadata.wait_idle()
        async with core.database.write() as conn:  # as if the process died before extraction ran
            await conn.execute(
                "UPDATE assets SET metadata_status = 'pending' WHERE asset_id = ?", (asset.asset_id,)
            )
    async with bootstrap(home=home, env=env) as core:
        await core.metadata.wait_idle()
        assert (await core.assets.get(asset.asset_id)).metadata_status == "skipped"


@given(st.text(min_size=1, max_size=400).filter(lambda s: "/" not in s and "\x00" not in s))
def test_staging_names_fit_any_filesystem(name: str) -> None:
    short = staging_name(name)
    assert len(short.encode("utf-8")) <= 200
    if len(name.encode("utf-8")) <= 200:
        assert short == name


def test_staging_name_keeps_the_extension() -> None:
    assert staging_name("x" * 300 + ".jpeg").endswith("x.jpeg")


@needs_exiftool
async def test_a_very_long_name_still_gets_metadata(exif_core: Core, tmp_path: Path) -> None:
    jpeg = next(p for p in SAMPLES if p.suffix.lower() == ".jpg")
    name = "\u00e9" * 150 + ".jpg"  # 304 bytes in UTF-8: longer than any filesystem takes
    options = IngestOptions(filename=name)
    asset = (await exif_core.assets.ingest(read_file(jpeg), options)).asset
    await exif_core.metadata.wait_idle()
    stored = await exif_core.assets.get(asset.asset_id)
    assert stored.filename == name
    assert stored.metadata_status == "done", stored.metadata_reason
