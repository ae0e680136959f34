"""Helpers the tus HTTP tests share: headers, metadata encoding, and what an upload left on disk."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import httpx

from faceforge_adapters.bootstrap import Core

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {"Content-Type": "application/offset+octet-stream"}


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def checksum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def upload_files(core: Core) -> list[str]:
    """Every file under ``tmp/uploads`` (relative), what a failed or removed upload must not leave."""
    root = core.paths.uploads_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload_id_of(response: httpx.Response) -> str:
    return response.headers["location"].rsplit("/", 1)[-1]


async def create(client: httpx.AsyncClient, auth: dict[str, str], length: int, **meta: str) -> str:
    headers = {**auth, **TUS, "Upload-Length": str(length)}
    if meta:
        headers["Upload-Metadata"] = metadata(**meta)
    response = await client.post("/v1/uploads/", headers=headers)
    assert response.status_code == 201, response.text
    return upload_id_of(response)


async def patch(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, offset: int, data: bytes, **extra: str
) -> httpx.Response:
    headers = {**auth, **TUS, **OCTETS, "Upload-Offset": str(offset), **extra}
    return await client.patch(f"/v1/uploads/{upload_id}", headers=headers, content=data)


async def offset_of(client: httpx.AsyncClient, auth: dict[str, str], upload_id: str) -> int:
    response = await client.head(f"/v1/uploads/{upload_id}", headers={**auth, **TUS})
    assert response.status_code == 200
    return int(response.headers["upload-offset"])


def data_size(core: Core, upload_id: str) -> int:
    return Path(core.paths.uploads_dir / upload_id / "data").stat().st_size
