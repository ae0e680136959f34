"""Bulk-import planning: sidecars, globs and merge rules, as properties over generated folders."""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.imports.models import (
    LARGE_FILE_BYTES,
    SMALL_BATCH_BYTES,
    SMALL_BATCH_FILES,
    BulkImportInput,
    FolderListing,
    FoundFile,
    PlannedFile,
    SidecarMeta,
)
from faceforge_domain.imports.plan import (
    DIRECTORY_SIDECAR,
    SidecarError,
    batches,
    companion_names,
    effective_meta,
    glob_matches,
    is_sidecar,
    parse_sidecar,
    plan_folder,
    selected,
)

ENTITY = "a" * 64
stems = st.text(alphabet="abcxyz019_-", min_size=1, max_size=8)
extensions = st.sampled_from(["jpg", "png", "txt", "mp4", "json"])
file_names = st.builds(lambda s, e: f"{s}.{e}", stems, extensions)
sidecar_docs = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(["image", "photo.raw", "video"]),
        "tags": st.lists(st.sampled_from(["a", "b", " c "]), max_size=3),
        "note": st.text(max_size=5),
        "entity_ids": st.lists(st.just(ENTITY), max_size=2),
    },
)


@st.composite
def folders(draw: st.DrawFn) -> tuple[FolderListing, dict[str, dict[str, Any] | SidecarError]]:
    names = draw(st.lists(file_names, max_size=8, unique=True))
    files = [FoundFile(name=n, size=draw(st.integers(0, 10_000))) for n in names]
    docs: dict[str, dict[str, Any] | SidecarError] = {}
    for name in names:
        for sidecar in companion_names(name):
            if draw(st.integers(0, 3)) == 0 and sidecar not in docs and sidecar not in names:
                files.append(FoundFile(name=sidecar, size=10))
                docs[sidecar] = (
                    draw(sidecar_docs) if draw(st.booleans()) else SidecarError("is not valid JSON")
                )
    if draw(st.booleans()):
        files.append(FoundFile(name=DIRECTORY_SIDECAR, size=10))
        docs[DIRECTORY_SIDECAR] = draw(sidecar_docs)
    return FolderListing(folder=draw(st.sampled_from(["", "sub", "a/b"])), files=files), docs


@given(folders())
def test_every_non_sidecar_file_is_planned_or_skipped_exactly_once(
    case: tuple[FolderListing, dict[str, dict[str, Any] | SidecarError]],
) -> None:
    listing, docs = case
    plan = plan_folder(listing, BulkImportInput(path="/x"), docs)
    planned = [f.name for f in plan.files]
    assert not any(is_sidecar(n) for n in planned)
    assert sorted(planned) == sorted(f.name for f in listing.files if not is_sidecar(f.name))
    assert plan.sidecars + sum(1 for s in plan.skipped if is_sidecar(s.path.rsplit("/", 1)[-1])) == sum(
        1 for f in listing.files if is_sidecar(f.name)
    )


@given(folders())
def test_file_sidecar_keys_win_over_the_folder_sidecar(
    case: tuple[FolderListing, dict[str, dict[str, Any] | SidecarError]],
) -> None:
    listing, docs = case
    plan = plan_folder(listing, BulkImportInput(path="/x"), docs)
    names = {f.name for f in listing.files}
    folder_doc = docs.get(DIRECTORY_SIDECAR) if DIRECTORY_SIDECAR in names else None
    for item in plan.files:
        companion = next((n for n in companion_names(item.name) if n in names), None)
        file_doc = docs.get(companion) if companion else None
        expected: dict[str, Any] = {}
        for layer in (folder_doc, file_doc):
            if isinstance(layer, dict):
                expected.update(layer)
        assert item.meta.user_metadata.keys() == expected.keys()
        for key, value in expected.items():
            if key != "tags":
                assert item.meta.user_metadata[key] == value
        assert item.meta.kind == expected.get("kind")
        if isinstance(file_doc, SidecarError):
            assert any(w.path == item.path for w in plan.warnings)


@given(
    st.lists(file_names, max_size=6, unique=True),
    st.lists(st.sampled_from(["*.jpg", "a*", "sub/*"]), max_size=2),
    st.lists(st.sampled_from(["*.txt", "*x*"]), max_size=2),
)
def test_globs_keep_included_files_and_excludes_win(
    names: list[str], include: list[str], exclude: list[str]
) -> None:
    listing = FolderListing(folder="sub", files=[FoundFile(name=n, size=1) for n in names])
    plan = plan_folder(listing, BulkImportInput(path="/x", include=include, exclude=exclude), {})
    for item in plan.files:
        assert not include or any(glob_matches(item.path, p) for p in include)
        assert not any(glob_matches(item.path, p) for p in exclude)
    assert len(plan.files) + len(plan.skipped) == len(names)


def test_the_exact_companion_wins_over_the_stem_companion() -> None:
    listing = FolderListing(
        folder="",
        files=[FoundFile(name=n, size=1) for n in ("photo.jpg", "photo.jpg_meta.json", "photo_meta.json")],
    )
    plan = plan_folder(
        listing, BulkImportInput(path="/x"), {"photo.jpg_meta.json": {"a": 1}, "photo_meta.json": {"b": 2}}
    )
    assert plan.files[0].meta.user_metadata == {"a": 1}
    assert [s.path for s in plan.skipped] == ["photo_meta.json"]
    assert plan.skipped[0].reason == "sidecar without a companion file"


def test_the_stem_companion_serves_when_there_is_no_exact_one() -> None:
    listing = FolderListing(
        folder="d", files=[FoundFile(name=n, size=1) for n in ("clip.mp4", "clip_meta.json")]
    )
    plan = plan_folder(
        listing, BulkImportInput(path="/x"), {"clip_meta.json": {"kind": "video", "tags": ["b", "b "]}}
    )
    meta = plan.files[0].meta
    assert (meta.kind, meta.tags, meta.sources) == ("video", ["b"], ["d/clip_meta.json"])
    assert plan.sidecars == 1


def test_an_invalid_folder_sidecar_is_one_warning_and_files_still_import() -> None:
    listing = FolderListing(
        folder="", files=[FoundFile(name=n, size=1) for n in ("a.jpg", DIRECTORY_SIDECAR)]
    )
    plan = plan_folder(
        listing, BulkImportInput(path="/x"), {DIRECTORY_SIDECAR: SidecarError("must hold a JSON object")}
    )
    assert [f.name for f in plan.files] == ["a.jpg"]
    assert [w.path for w in plan.warnings] == [DIRECTORY_SIDECAR]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"{nope", "is not valid JSON"),
        (b"[1, 2]", "must hold a JSON object"),
        (b'{"kind": ""}', "'kind'"),
        (b'{"entity_ids": ["abc"]}', "'entity_ids'"),
        (b'{"tags": "one"}', "'tags'"),
        (b'{"tags": [""]}', "'tags'"),
    ],
)
def test_parse_sidecar_refuses_bad_documents_with_a_reason(raw: bytes, problem: str) -> None:
    with pytest.raises(SidecarError, match=problem):
        parse_sidecar(raw)


@given(sidecar_docs)
def test_parse_sidecar_accepts_what_it_recognises(doc: dict[str, Any]) -> None:
    assert parse_sidecar(msgspec.json.encode(doc)) == doc


def test_sidecar_names_and_companions() -> None:
    assert is_sidecar("x.jpg_meta.json")
    assert is_sidecar(DIRECTORY_SIDECAR)
    assert is_sidecar("x.jpg.faceforge.json")
    assert not is_sidecar("meta.json")
    assert companion_names("a.b.jpg") == ("a.b.jpg.faceforge.json", "a.b.jpg_meta.json", "a.b_meta.json")
    assert companion_names("README") == ("README.faceforge.json", "README_meta.json")
    assert companion_names(".hidden") == (".hidden.faceforge.json", ".hidden_meta.json")


def test_globs_match_names_or_paths_case_insensitively() -> None:
    assert glob_matches("sub/IMG_1.JPG", "*.jpg")
    assert glob_matches("sub/deep/x.png", "sub/*")
    assert not glob_matches("other/x.png", "sub/*")
    assert selected("a.jpg", [], [])
    assert not selected("a.jpg", ["*.png"], [])
    assert not selected("a.jpg", ["*.jpg"], ["a*"])


def test_effective_meta_merges_in_order_and_dedupes() -> None:
    meta = effective_meta(
        [("d", {"kind": "image", "tags": ["a"], "x": 1}), ("f", {"tags": ["b", "b"], "x": 2})]
    )
    assert meta.user_metadata == {"kind": "image", "tags": ["b"], "x": 2}
    assert meta.entity_ids == []


sizes = st.one_of(
    st.integers(0, 4096),
    st.integers(LARGE_FILE_BYTES - 10, LARGE_FILE_BYTES + 10),
    st.integers(SMALL_BATCH_BYTES // 3, SMALL_BATCH_BYTES // 2),
)


@given(st.lists(sizes, max_size=80), st.integers(1, SMALL_BATCH_FILES))
def test_batches_keep_order_bound_small_batches_and_send_large_files_alone(
    given_sizes: list[int], most: int
) -> None:
    files = [
        PlannedFile(path=f"{n}", name=f"{n}", size=size, meta=SidecarMeta())
        for n, size in enumerate(given_sizes)
    ]
    made = list(batches(files, most))
    assert [item for batch in made for item in batch] == files
    for batch in made:
        assert batch
        if any(item.size > LARGE_FILE_BYTES for item in batch):
            assert len(batch) == 1
        else:
            assert len(batch) <= most
            assert sum(item.size for item in batch) <= SMALL_BATCH_BYTES
    for first, second in itertools.pairwise(made):  # a batch ends only when the next file could not join it
        if all(item.size <= LARGE_FILE_BYTES for item in [*first, second[0]]):
            full = len(first) == most
            assert full or sum(item.size for item in first) + second[0].size > SMALL_BATCH_BYTES
