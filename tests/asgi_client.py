"""An HTTP client for the app in the caller's own event loop, where Core and its background services run.

Litestar's test client runs the app in a second event loop and blocks the caller's loop for each
request: a background task of Core's holding a database lock in the blocked loop could then never
release it, and the request waiting for that lock would hang.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from faceforge_adapters.bootstrap import Core
from faceforge_http.app import create_app


@asynccontextmanager
async def in_loop_client(core: Core, *, follow_redirects: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(core))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=follow_redirects
    ) as client:
        yield client
