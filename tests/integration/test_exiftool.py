"""Real ExifTool: the pool matches one-shot runs on every sample, and ingest records what the rules say."""

from __future__ import annotations

import functools
import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest
from exiftool_support import (
    BATCHING_TOOL,
    EXIFTOOL,
    EXIFTOOL_SAMPLES,
    alive,
    fake_tool,
    gone_within,
    needs_exiftool,
)
from hypothesis import given
from hypothesis import strategies as st

from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_adapters.exiftool import ExifToolPool, run_oneshot, write_argfile
from faceforge_adapters.exiftool.answers import split_answer
from faceforge_adapters.exiftool.args import PARAMETERS, argfile_text, pool_request
from faceforge_adapters.exiftool.extractor import ExifToolExtractor, staging_name, staging_paths
from faceforge_adapters.storage.filesystem import FilesystemBlobStore, iter_file
from faceforge_cli.assets import read_file
from faceforge_domain.metadata import REMOVED_KEYS, MetadataError, exiftool_entry, skip_reason
from faceforge_domain.models import Asset, StorageLocation
from faceforge_domain.services.assets import IngestOptions

pytestmark = pytest.mark.anyio

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


def test_pool_request_has_no_double_dash_and_needs_absolute_paths_on_one_line() -> None:
    request = pool_request([Path("/data/a b.jpg"), Path("/data/c.png")], 7).decode().splitlines()
    assert request == [*PARAMETERS, "/data/a b.jpg", "/data/c.png", "-execute7"]
    with pytest.raises(ValueError, match="absolute"):
        pool_request([Path("/data/ok.jpg"), Path("relative.jpg")], 1)
    with pytest.raises(ValueError, match="line break"):  # it would be read as two arguments
        pool_request([Path("/data/a\n-execute1.jpg")], 1)


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
    pooled: dict[Path, bytes] = {}

    async def from_pool(path: Path) -> None:
        pooled[path] = await pool.run(path, limit_s=120)

    async with anyio.create_task_group() as group:  # all at once: the files share batched requests
        for path in SAMPLES:
            group.start_soon(from_pool, path.absolute())
    mismatched = []
    limiter = anyio.CapacityLimiter(2)

    async def compare(path: Path) -> None:
        async with limiter:
            single = await run_oneshot(Path(EXIFTOOL), argfile, path)
        if _stored(pooled[path]) != _stored(single):
            mismatched.append(path.name)

    async with anyio.create_task_group() as group:
        for path in pooled:
            group.start_soon(compare, path)
    assert len(pooled) == len(SAMPLES)
    assert mismatched == []


def _stored(output: bytes) -> dict[str, Any] | str:
    """What ingest would store for this output (less the volatile keys), or the failure reason."""
    try:
        return _stable(exiftool_entry(output))
    except MetadataError as exc:
        return str(exc)


@needs_exiftool
async def test_pool_reuses_its_workers(pool: ExifToolPool) -> None:
    first = SAMPLES[0].absolute()
    for _ in range(5):
        assert exiftool_entry(await pool.run(first, limit_s=60))["Data"]
    assert pool.running == 1


HOLD_A_POOL = """
import sys, time, anyio
from pathlib import Path
from faceforge_adapters.exiftool import ExifToolPool

async def main() -> None:
    pool = ExifToolPool(Path(sys.argv[1]), 1)
    await pool.run(Path(sys.argv[2]), limit_s=60)
    print(*(w.pid for w in pool._all), flush=True)
    time.sleep(600)

anyio.run(main)
"""


@needs_exiftool
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_workers_die_with_a_killed_core() -> None:
    """SIGKILL gives Core no chance to stop its workers: they must not outlive it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_POOL, str(EXIFTOOL), str(SAMPLES[0].absolute())],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        pids = [int(pid) for pid in holder.stdout.readline().split()]
        assert pids
        assert all(alive(pid) for pid in pids)
    finally:
        holder.kill()
        holder.wait()
    assert all(gone_within(pid, 10) for pid in pids), "an exiftool worker outlived its Core"


async def test_stuck_worker_is_killed_and_replaced(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    tool = fake_tool(tmp_path, "exec sleep 30\n")
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
    tool = fake_tool(tmp_path, "read line\nexit 3\n")
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
    tool = fake_tool(
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


@pytest.mark.parametrize(("culprit", "reason"), [("stuck", "longer than"), ("crash", "stopped unexpectedly")])
async def test_a_batch_that_goes_wrong_marks_only_the_file_at_fault(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, culprit: str, reason: str
) -> None:
    tool = fake_tool(tmp_path, BATCHING_TOOL)
    pool = ExifToolPool(tool, 1)
    names = ["a.jpg", f"{culprit}.jpg", "b.jpg"]
    outcomes: dict[str, bytes | str] = {}

    async def extract(name: str) -> None:
        try:
            outcomes[name] = await pool.run(tmp_path / name, limit_s=1, asset_id=name)
        except MetadataError as exc:
            outcomes[name] = str(exc)

    try:
        with caplog.at_level(logging.INFO, logger="faceforge.exiftool"):
            async with anyio.create_task_group() as group:
                group.start_soon(extract, "slow.jpg")  # keeps the one worker busy while the rest queue up
                await anyio.sleep(0.2)
                for name in names:
                    group.start_soon(extract, name)
    finally:
        await pool.aclose()
    requests = (tmp_path / "requests.log").read_text().split()
    assert requests[:2] == ["1", "3"]  # the three waiting files went as one request
    assert requests[2:] == ["1", "1", "1"]  # that request went wrong: asked again file by file
    for name in ("a.jpg", "b.jpg", "slow.jpg"):
        data = exiftool_entry(outcomes[name])["Data"]  # type: ignore[arg-type]
        assert data["SourceFile"] == str(tmp_path / name)
    assert reason in str(outcomes[f"{culprit}.jpg"])
    events = [r.__dict__ for r in caplog.records]
    split = [e for e in events if e.get("event") == "exiftool.batch_split"]
    assert [(e["files"], e["reason"]) for e in split] == [(3, "timeout" if culprit == "stuck" else "crash")]
    blamed = [e["asset_id"] for e in events if e.get("event") in ("exiftool.timeout", "exiftool.crash")]
    assert blamed == [f"{culprit}.jpg"]


async def test_an_unreadable_batch_answer_is_asked_again_file_by_file(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, BATCHING_TOOL)
    pool = ExifToolPool(tool, 1)
    outcomes: dict[str, bytes] = {}

    async def extract(name: str) -> None:
        outcomes[name] = await pool.run(tmp_path / name, limit_s=5)

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(extract, "slow.jpg")
            await anyio.sleep(0.2)
            for name in ("a.jpg", "garbage.jpg", "b.jpg"):
                group.start_soon(extract, name)
    finally:
        await pool.aclose()
    assert (tmp_path / "requests.log").read_text().split() == ["1", "3", "1", "1", "1"]
    for name in ("a.jpg", "b.jpg"):
        assert exiftool_entry(outcomes[name])["Data"]["SourceFile"] == str(tmp_path / name)
    with pytest.raises(MetadataError, match="invalid JSON"):  # the culprit's own answer, as printed
        exiftool_entry(outcomes["garbage.jpg"])


async def test_a_caller_cancelled_while_waiting_leaves_the_others_served(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, BATCHING_TOOL)
    pool = ExifToolPool(tool, 1)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(functools.partial(pool.run, tmp_path / "slow.jpg", limit_s=5))
            await anyio.sleep(0.1)
            with anyio.move_on_after(0.1):
                await pool.run(tmp_path / "gave-up.jpg", limit_s=5)
            kept = await pool.run(tmp_path / "kept.jpg", limit_s=5)
    finally:
        await pool.aclose()
    assert exiftool_entry(kept)["Data"]["SourceFile"] == str(tmp_path / "kept.jpg")
    assert (tmp_path / "requests.log").read_text().split() == ["1", "1"]  # gave-up.jpg was never sent


def test_split_answer_keeps_the_callers_order_and_marks_files_exiftool_skipped() -> None:
    output = b'[{"SourceFile": "/d/b.jpg", "X:Y": 2},\n{"SourceFile": "/d/a.jpg", "X:Y": 1}]\n'
    paths = [Path("/d/a.jpg"), Path("/d/missing.jpg"), Path("/d/b.jpg")]
    answers = split_answer(output, paths)
    assert answers is not None
    assert [msgspec.json.decode(a)["X:Y"] if a else None for a in answers] == [1, None, 2]
    with pytest.raises(MetadataError, match="printed nothing"):
        exiftool_entry(answers[1])
    assert split_answer(b"", paths) == [b"", b"", b""]
    assert split_answer(b"this is not json", paths) is None
    assert split_answer(b'[{"NoSource": 1}]', paths) is None


@needs_exiftool
async def test_a_batch_is_staged_under_original_names_linked_or_copied_then_removed(
    pool: ExifToolPool, tmp_path: Path
) -> None:
    """Same names in one batch do not clash; a file only reachable through the store is copied; an
    unreadable one fails alone; nothing stays in the staging folder."""
    store = FilesystemBlobStore(tmp_path / "assets", tmp_path / "tmp")
    staging = tmp_path / "tmp" / "exiftool"
    samples = [EXIFTOOL_SAMPLES / "Apple.jpg", EXIFTOOL_SAMPLES / "Casio2.jpg"]
    blobs = [await store.put(iter_file(path)) for path in samples]
    assets = [
        Asset(
            asset_id=blob.sha256,
            kind="image.original",
            mime_type="image/jpeg",
            size_bytes=blob.size_bytes,
            filename="photo.jpg",
            filenames=["photo.jpg"],
            storage=blob.location,
            created_at=datetime.now(UTC),
            updated_at=datetime.now(UTC),
        )
        for blob in blobs
    ]
    gone = msgspec.structs.replace(
        assets[0], asset_id="0" * 64, storage=StorageLocation(provider="fs", key="00/00/missing")
    )

    def local_only_first(location: StorageLocation) -> Path | None:
        return store.path_for(location) if location == blobs[0].location else None

    extractor = ExifToolExtractor(pool=pool, store=store, staging_dir=staging, local_path=local_only_first)
    answers = await extractor.extract_many([*assets, gone])
    makes = []
    for answer in answers[:2]:
        assert isinstance(answer, bytes)
        data = exiftool_entry(answer)["Data"]
        makes.append(next(v for k, v in data.items() if k.endswith(":Make")))
    assert makes == ["Apple", "CASIO COMPUTER CO.,LTD"]
    assert isinstance(answers[2], MetadataError)
    assert "could not be prepared" in str(answers[2])
    assert list(staging.iterdir()) == []


def test_staging_paths_share_one_folder_until_names_clash(tmp_path: Path) -> None:
    def named(name: str) -> Asset:
        now = datetime.now(UTC)
        return Asset(
            asset_id="a" * 64,
            kind="file",
            mime_type="image/jpeg",
            size_bytes=1,
            filename=name,
            filenames=[name],
            storage=StorageLocation(provider="fs", key="aa/aa/x"),
            created_at=now,
            updated_at=now,
        )

    paths = staging_paths(tmp_path, [named(n) for n in ("a.jpg", "1", "A.JPG", "b.jpg", "a.jpg")])
    relative = [str(p.relative_to(tmp_path)) for p in paths]
    assert relative == ["0/a.jpg", "0/1", "3/A.JPG", "0/b.jpg", "5/a.jpg"]
    assert len({str(p).casefold() for p in paths}) == len(paths)


def staged_entries(core: Core) -> list[Path]:
    """What ExifTool staging holds: in the process's own folder of tmp/ (``core-<pid>-<random>``)."""
    return sorted(core.paths.tmp_dir.glob("core-*/exiftool/**/*"))


@pytest.mark.parametrize(
    ("body", "ends"),
    [("exec sleep 30\n", "core stops"), ("read line\nexit 3\n", "crash")],
    ids=["cancelled mid-request", "failed batch"],
)
async def test_a_cancelled_or_failed_batch_leaves_no_staging_links(
    home: Path, tmp_path: Path, body: str, ends: str
) -> None:
    tool = fake_tool(tmp_path, body)
    env = {"FACEFORGE_HOME": str(home), "FACEFORGE_TOOLS__EXIFTOOL_PATH": str(tool)}
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 tiny")
    async with bootstrap(home=home, env=env) as core:
        asset_id = await _ingest(core, path)
        if ends == "crash":
            await core.metadata.wait_idle()
            assert (await core.assets.get(asset_id)).metadata_status == "failed"
        else:
            with anyio.fail_after(10):  # the batch is staged and ExifTool is on it: stop Core now
                while not [p for p in staged_entries(core) if p.name == "photo.jpg"]:  # noqa: ASYNC110
                    await anyio.sleep(0.01)
        if ends == "crash":
            assert staged_entries(core) == []  # while Core still runs: the batch itself cleaned up
    assert sorted(core.paths.tmp_dir.rglob("*")) == []
