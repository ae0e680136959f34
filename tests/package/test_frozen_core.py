"""The frozen Core (PyInstaller one-folder build, tools bundled) passes the shipped-package smoke suite,
run with nothing but the folder: ``env -i HOME=<tmp> PATH=/usr/bin:/bin``, a fresh home, ``faceforge serve``.

The folder comes from ``packaging/freeze_core.py``, which reuses the cached build when its inputs did not
change (a clean build takes a few minutes, a cached one seconds).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from package_build import FREEZE_TIMEOUT, frozen_executable
from package_smoke import CHECKS, ROOT, Check, Shipped, serving

pytestmark = [pytest.mark.slow, pytest.mark.timeout(FREEZE_TIMEOUT + 300)]


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shipped]:
    with serving(frozen_executable(), tmp_path_factory.mktemp("frozen")) as core:
        yield core


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_the_frozen_core(frozen: Shipped, check: Check) -> None:
    check(frozen)


def test_the_frozen_folder_has_the_layout_packages_build_on() -> None:
    folder = frozen_executable().parent
    assert (folder / "faceforge").is_file()
    assert (folder / "_internal").is_dir()
    assert (folder / "tools" / "exiftool" / "exiftool").is_file()
    assert (folder / "tools" / "exiftool" / "lib" / "Image" / "ExifTool.pm").is_file()
    assert (folder / "tools" / "weed").is_file()
    assert (folder / "tools" / "MANIFEST.json").is_file()
    assert (ROOT / "build" / "core" / "faceforge").resolve() == folder.resolve()
