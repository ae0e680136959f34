"""Health, ping and system information."""

from __future__ import annotations

import anyio
import msgspec
from litestar import Controller, get

from faceforge_http.deps import SystemStatusDep
from faceforge_http.envelope import Ok, ok


class VolumeOut(msgspec.Struct, kw_only=True):
    holds: list[str]  # which of Core's folders live on this disk: db, assets, tmp, s3
    free_bytes: int
    total_bytes: int
    low: bool  # under storage.min_free_bytes


class Health(msgspec.Struct, kw_only=True):
    """``status`` is ``degraded`` when the database does not answer or a disk is under its margin;
    ``reason`` says which, in plain words."""

    status: str
    version: str
    database_ok: bool
    disk_ok: bool
    min_free_bytes: int
    volumes: list[VolumeOut]
    reason: str | None


class Pong(msgspec.Struct, kw_only=True):
    pong: bool = True
    version: str


class ToolOut(msgspec.Struct, kw_only=True):
    name: str
    found: bool
    path: str | None
    version: str | None
    note: str | None


class PathsOut(msgspec.Struct, kw_only=True):
    home: str
    db_file: str
    assets_dir: str
    s3_dir: str
    logs_dir: str
    plugins_dir: str
    run_dir: str
    tmp_dir: str
    config_dir: str
    tools_dir: str


class SystemInfo(msgspec.Struct, kw_only=True):
    version: str
    home: str
    paths: PathsOut
    tools: list[ToolOut]
    bind_host: str
    core_port: int


@get(
    "/healthz",
    tags=["system"],
    operation_id="health",
    summary="Liveness, database health and free disk space",
)
async def healthz(system: SystemStatusDep) -> Ok[Health]:
    db_ok = await system.database_ok()
    disk = await system.disk_space()
    reasons = ([] if db_ok else ["the database does not answer"]) + ([disk.reason] if disk.reason else [])
    return ok(
        Health(
            status="ok" if db_ok and disk.ok else "degraded",
            version=system.version,
            database_ok=db_ok,
            disk_ok=disk.ok,
            min_free_bytes=system.min_free_bytes,
            volumes=[VolumeOut(**msgspec.structs.asdict(volume)) for volume in disk.volumes],
            reason="; ".join(reasons) or None,
        )
    )


class SystemController(Controller):
    tags = ["system"]  # noqa: RUF012  (Litestar reads this class attribute)

    @get("/ping", operation_id="ping", summary="Check the token and that Core answers")
    async def ping(self, system: SystemStatusDep) -> Ok[Pong]:
        return ok(Pong(version=system.version))

    @get("/system/info", operation_id="systemInfo", summary="Version, home, folders and tools")
    async def info(self, system: SystemStatusDep) -> Ok[SystemInfo]:
        p = system.paths
        paths = PathsOut(
            home=str(p.home),
            db_file=str(p.db_file),
            assets_dir=str(p.assets_dir),
            s3_dir=str(p.s3_dir),
            logs_dir=str(p.logs_dir),
            plugins_dir=str(p.plugins_dir),
            run_dir=str(p.run_dir),
            tmp_dir=str(p.tmp_dir),
            config_dir=str(p.config_dir),
            tools_dir=str(p.tools_dir),
        )
        tools = [
            ToolOut(
                name=t.name,
                found=t.found,
                path=str(t.path) if t.path else None,
                version=t.version,
                note=t.note,
            )
            for t in await anyio.to_thread.run_sync(system.tools)
        ]
        return ok(
            SystemInfo(
                version=system.version,
                home=str(p.home),
                paths=paths,
                tools=tools,
                bind_host=system.bind_host,
                core_port=system.core_port,
            )
        )
