"""Fixtures every test layer shares: an isolated FACEFORGE_HOME, a running Core, an HTTP client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hypothesis import settings

from asgi_client import in_loop_client
from faceforge_adapters.bootstrap import Core, bootstrap
from seaweed_cluster import seaweed_cluster  # noqa: F401  (a real SeaweedFS cluster, for every layer)
from seaweed_fixtures import new_bucket, seaweed, seaweed_factory  # noqa: F401  (a real weed, for every layer)

# No per-example time limit: speed is measured in bench/, never asserted in a test, and on a shared
# machine a busy moment would fail a correct example.
settings.register_profile("faceforge", deadline=None)
settings.load_profile("faceforge")

SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
EXIFTOOL_SAMPLES = SHARED_FIXTURES / "exiftool-samples"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh home; FACEFORGE_* variables from the outer environment are removed."""
    for name in list(os.environ):
        if name.startswith("FACEFORGE_"):
            monkeypatch.delenv(name)
    path = tmp_path / "ffhome"
    monkeypatch.setenv("FACEFORGE_HOME", str(path))
    return path


@pytest.fixture
async def core(home: Path) -> AsyncIterator[Core]:
    async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}) as started:
        yield started


@pytest.fixture
def auth(core: Core) -> dict[str, str]:
    return {"Authorization": f"Bearer {core.install_token}"}


@pytest.fixture
async def client(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    """The app in the test's own event loop (see ``asgi_client``)."""
    async with in_loop_client(core) as test_client:
        yield test_client


@pytest.fixture
async def ui(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in browser stand-in in the test's event loop: signed in through the login form, and
    sending the CSRF header with each request as the page's script does."""
    async with in_loop_client(core, follow_redirects=False) as browser:
        assert (await browser.post("/ui/login", data={"token": core.install_token})).status_code == 303
        browser.headers["X-FaceForge-CSRF"] = browser.cookies["ff_csrf"]
        yield browser
