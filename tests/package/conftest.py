"""The built desktop package, made once per test session through the package recipe (it is cached).

``FACEFORGE_TEST_DEB`` names a .deb to test instead of building one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The launcher's WebDriver helpers, shared with its own end-to-end test.
sys.path.insert(0, str(REPO / "desktop" / "e2e"))


def has_package_recipe() -> bool:
    return re.search(r"^package\b.*:", (REPO / "justfile").read_text(), re.MULTILINE) is not None


@pytest.fixture(scope="session")
def deb() -> Path:
    chosen = os.environ.get("FACEFORGE_TEST_DEB")
    if chosen:
        return Path(chosen)
    if not has_package_recipe():
        pytest.skip("this checkout has no `package` recipe to build the .deb; set FACEFORGE_TEST_DEB")
    subprocess.run([str(REPO / "justw"), "package"], cwd=REPO, check=True)
    built = sorted((REPO / "dist").glob("faceforge_*_amd64.deb"), key=lambda p: p.stat().st_mtime)
    assert built, "`./justw package` wrote no dist/faceforge_*_amd64.deb"
    return built[-1]
