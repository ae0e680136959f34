"""Helpers the asset HTTP tests share: what is left on disk, and raw ASGI uploads."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from faceforge_adapters.bootstrap import Core
from faceforge_http.app import create_app

BOUNDARY = "ffboundary7d3c"


def same_loop_client(core: Core) -> httpx.AsyncClient:
    """An HTTP client that runs the app in the test's own event loop.

    Litestar's test client runs the app in a portal thread with its own loop, while Core's database
    and background tasks live in the test's loop; streaming uploads must run where Core runs.
    """
    transport = httpx.ASGITransport(app=create_app(core))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def digest_of(data: bytes) -> str:
    """``Repr-Digest`` as a client computes it over the bytes it holds (RFC 9530)."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"


def leftovers(core: Core) -> list[str]:
    """Every file under ``tmp/`` and ``assets/`` (what a failed upload must not leave)."""
    found = []
    for root in (core.paths.tmp_dir, core.paths.assets_dir):
        found += [str(p.relative_to(core.paths.home)) for p in root.rglob("*") if p.is_file()]
    return sorted(found)


async def asset_count(core: Core) -> int:
    async with core.database.read() as conn, conn.execute("SELECT count(*) FROM assets") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


def part(name: str, value: bytes, filename: str | None = None, content_type: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    return head.encode() + b"\r\n" + value + b"\r\n"


def multipart(parts: Iterable[bytes]) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def form_headers(auth: dict[str, str]) -> dict[str, str]:
    return {**auth, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def upload_body(data: bytes, filename: str = "photo.jpg", meta: Any = None, **fields: str) -> bytes:
    parts = [part(k, v.encode()) for k, v in fields.items()]
    if meta is not None:
        parts.append(part("meta", json.dumps(meta).encode(), "photo_meta.json", "application/json"))
    parts.append(part("file", data, filename, "application/octet-stream"))
    return multipart(parts)


async def asgi_upload(
    app: Any,
    headers: dict[str, str],
    chunks: list[bytes],
    *,
    disconnect: bool,
    method: str = "POST",
    path: str = "/v1/assets/upload",
    query: str = "",
) -> list[Any]:
    """Drive the app with a body in ``chunks``; ``disconnect`` ends it with ``http.disconnect``."""
    messages: list[dict[str, Any]] = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    messages.append({"type": "http.disconnect"} if disconnect else {"type": "http.request", "body": b""})
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 43210),
        "state": {},
    }
    await app(scope, receive, send)
    return sent


def sample(path: Path) -> bytes:
    return path.read_bytes()
