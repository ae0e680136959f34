"""The built desktop packages, made once per test session through the package recipe (it is cached).

``FACEFORGE_TEST_DEB`` names a .deb to test instead of building one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from package_build import build_packages

REPO = Path(__file__).resolve().parents[2]
# The launcher's WebDriver helpers, shared with its own end-to-end test.
sys.path.insert(0, str(REPO / "desktop" / "e2e"))


@pytest.fixture(scope="session")
def packages() -> None:
    """The packages in ``dist/``, built once per test session."""
    build_packages()


@pytest.fixture(scope="session")
def deb(request: pytest.FixtureRequest) -> Path:
    chosen = os.environ.get("FACEFORGE_TEST_DEB")
    if chosen:
        return Path(chosen)
    request.getfixturevalue("packages")
    built = sorted((REPO / "dist").glob("faceforge_*_amd64.deb"), key=lambda p: p.stat().st_mtime)
    assert built, "`./justw package` wrote no dist/faceforge_*_amd64.deb"
    return built[-1]
