"""``config/core.json``: typed settings, layered sources, and safe writes.

Precedence for every setting: CLI flag > environment (``FACEFORGE_<SECTION>__<KEY>``) > ``ports.json``
> ``core.json`` > default. A file that does not parse or does not validate stops start-up with a
``ConfigError`` naming the file and the key; it is never rewritten.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from faceforge_adapters.home import HomePaths, fixed_paths
from faceforge_domain.imports.models import FILE_WORKERS

CONFIG_VERSION = 1
ENV_PREFIX = "FACEFORGE_"
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
Provider = Literal["fs", "s3"]


class _Section(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Config sections reject unknown keys, so a typo is an error rather than a silent no-op."""


class AuthConfig(_Section):
    install_token: str = ""


class NetworkConfig(_Section):
    bind_host: str = "127.0.0.1"
    core_port: Port = 43210
    seaweed_s3_port: Port = 43211


class PathsConfig(_Section):
    db_dir: str | None = None
    assets_dir: str | None = None
    s3_dir: str | None = None
    logs_dir: str | None = None
    plugins_dir: str | None = None


class ToolsConfig(_Section):
    exiftool_enabled: bool = True
    exiftool_path: str | None = None
    exiftool_workers: PositiveInt | None = None


class RoutingConfig(_Section):
    default_provider: Provider = "fs"
    kind_map: dict[str, Provider] = msgspec.field(default_factory=dict)
    s3_min_size_bytes: Annotated[int, msgspec.Meta(ge=0)] | None = None


class S3Config(_Section):
    enabled: bool = False
    endpoint_url: str | None = None
    access_key: str = ""
    secret_key: str = ""
    bucket: str = "faceforge"
    region: str = "us-east-1"
    use_ssl: bool = False
    part_size_bytes: Annotated[int, msgspec.Meta(ge=5 * 1024 * 1024)] = 16 * 1024 * 1024


class StorageConfig(_Section):
    routing: RoutingConfig = msgspec.field(default_factory=RoutingConfig)
    s3: S3Config = msgspec.field(default_factory=S3Config)
    # Kept free on every disk Core writes to: uploads that would eat into it are refused (507).
    min_free_bytes: Annotated[int, msgspec.Meta(ge=0)] = 1024**3


class SeaweedConfig(_Section):
    enabled: bool = False
    weed_path: str | None = None
    data_dir: str | None = None
    ip: str = "127.0.0.1"
    master_port: Port = 43212
    volume_port: Port = 43213
    filer_port: Port = 43214


class JobsConfig(_Section):
    max_concurrent: PositiveInt = 2
    runner_lease_seconds: PositiveInt = 60
    runner_max_attempts: PositiveInt = 3


class UploadsConfig(_Section):
    max_bytes: PositiveInt = 1024**4
    expire_after_seconds: PositiveInt = 24 * 3600
    resumable_threshold_bytes: PositiveInt = 64 * 1024 * 1024
    # The web UI sends files this big or bigger as resumable uploads, in slices of ui_chunk_bytes.
    ui_resumable_threshold_bytes: PositiveInt = 8 * 1024 * 1024
    ui_chunk_bytes: PositiveInt = 16 * 1024 * 1024


class ImportConfig(_Section):
    allowed_roots: list[str] = msgspec.field(default_factory=list)
    file_workers: PositiveInt = FILE_WORKERS


class BackupS3Config(_Section):
    """Where ``s3://bucket/prefix`` backup targets are reached; the keys are never written into a backup
    (``FACEFORGE_BACKUP_S3_ACCESS_KEY`` / ``FACEFORGE_BACKUP_S3_SECRET_KEY`` override them)."""

    endpoint_url: str | None = None
    access_key: str = ""
    secret_key: str = ""
    region: str = "us-east-1"
    part_size_bytes: Annotated[int, msgspec.Meta(ge=5 * 1024 * 1024)] = 16 * 1024 * 1024


class BackupConfig(_Section):
    allowed_roots: list[str] = msgspec.field(default_factory=list)
    s3: BackupS3Config = msgspec.field(default_factory=BackupS3Config)
    # Backup folders an integrity repair restores from when none is named (newest copy first).
    targets: list[str] = msgspec.field(default_factory=list)


class IntegrityConfig(_Section):
    # The scrub reads stored files no faster than this (0: no limit), so it does not take the machine.
    max_bytes_per_s: Annotated[int, msgspec.Meta(ge=0)] = 50 * 1024 * 1024
    # While the server runs, a scan starts this many days after the last one (0: never by itself).
    schedule_days: Annotated[int, msgspec.Meta(ge=0)] = 7
    # A repair removes a stored file no record points at only once it is this old.
    orphan_grace_days: Annotated[int, msgspec.Meta(ge=0)] = 7


class PreviewsConfig(_Section):
    workers: PositiveInt | None = None
    timeout_s: PositiveInt = 60
    # Decompression bombs: a picture over this many pixels (by its header) is not decoded.
    max_pixels: PositiveInt = 250_000_000
    max_memory_mb: Annotated[int, msgspec.Meta(ge=256)] = 3072


class LoggingConfig(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"


class CoreConfig(_Section):
    """Everything in ``core.json``; every key has a default."""

    version: int = CONFIG_VERSION
    auth: AuthConfig = msgspec.field(default_factory=AuthConfig)
    network: NetworkConfig = msgspec.field(default_factory=NetworkConfig)
    paths: PathsConfig = msgspec.field(default_factory=PathsConfig)
    tools: ToolsConfig = msgspec.field(default_factory=ToolsConfig)
    storage: StorageConfig = msgspec.field(default_factory=StorageConfig)
    seaweed: SeaweedConfig = msgspec.field(default_factory=SeaweedConfig)
    jobs: JobsConfig = msgspec.field(default_factory=JobsConfig)
    uploads: UploadsConfig = msgspec.field(default_factory=UploadsConfig)
    import_: ImportConfig = msgspec.field(default_factory=ImportConfig, name="import")
    backup: BackupConfig = msgspec.field(default_factory=BackupConfig)
    integrity: IntegrityConfig = msgspec.field(default_factory=IntegrityConfig)
    previews: PreviewsConfig = msgspec.field(default_factory=PreviewsConfig)
    logging: LoggingConfig = msgspec.field(default_factory=LoggingConfig)


class ConfigError(Exception):
    """A config source that cannot be used: says which file (or variable), which key, and why."""

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: key '{key}'" if key else source
        super().__init__(f"{where}: {problem}")


class LoadedConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The effective config and the folders it resolves to."""

    config: CoreConfig
    paths: HomePaths
    sources: tuple[str, ...]


_AT_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")


def _describe_validation(error: msgspec.ValidationError) -> tuple[str | None, str]:
    """Split msgspec's ``... - at `$.a.b``` message into a dotted key and the problem."""
    message = str(error)
    match = _AT_PATH.search(message)
    if not match:
        return None, message
    path = match.group("path").lstrip(".")
    problem = message[: match.start()]
    unknown = re.match(r"Object contains unknown field `(?P<name>[^`]+)`", problem)
    if unknown:
        path = f"{path}.{unknown.group('name')}" if path else unknown.group("name")
        problem = "unknown key"
    return re.sub(r"\[(\d+)\]", r".\1", path) or None, problem


def _line_col(data: bytes, message: str) -> str:
    match = re.search(r"\(byte (\d+)\)", message)
    if not match:
        return message
    offset = int(match.group(1))
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"{message} (line {line}, column {col})"


def _read_json_object(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), None, f"cannot be read ({exc.strerror or exc})") from None
    try:
        value = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise ConfigError(str(path), None, _line_col(data, str(exc))) from None
    if not isinstance(value, dict):
        raise ConfigError(str(path), None, "must be a JSON object")
    return value


def _validate(raw: Mapping[str, Any], source: str) -> CoreConfig:
    try:
        return msgspec.convert(raw, CoreConfig)
    except msgspec.ValidationError as exc:
        key, problem = _describe_validation(exc)
        raise ConfigError(source, key, problem) from None


def _deep_merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def dotted_to_nested(key: str, value: Any) -> dict[str, Any]:
    """``("network.core_port", 1)`` -> ``{"network": {"core_port": 1}}``."""
    nested: Any = value
    for part in reversed(key.split(".")):
        nested = {part: nested}
    return dict(nested)


def env_values(text: str) -> tuple[Any, ...]:
    """What an environment value may mean, most specific first: its JSON reading, then the raw text.

    ``43210`` is a number for ``core_port`` but stays the string ``"43210"`` for a key or a password,
    so the loader keeps the first reading that validates.
    """
    try:
        decoded = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return (text,)
    return (text,) if decoded == text else (decoded, text)


def env_overlay(env: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """``FACEFORGE_NETWORK__CORE_PORT=1`` -> ``{"network.core_port": ("FACEFORGE_...", "1")}``."""
    found: dict[str, tuple[str, str]] = {}
    for name, text in env.items():
        if name.startswith(ENV_PREFIX) and "__" in name:
            dotted = name[len(ENV_PREFIX) :].lower().replace("__", ".")
            found[dotted] = (name, text)
    return found


def _merge_env(raw: dict[str, Any], dotted: str, name: str, text: str) -> dict[str, Any]:
    """Overlay one variable, keeping the first reading of its value that validates."""
    first_error: ConfigError | None = None
    for value in env_values(text):
        merged = _deep_merge(raw, dotted_to_nested(dotted, value))
        try:
            _validate(merged, f"environment variable {name}")
        except ConfigError as exc:
            first_error = first_error or exc
            continue
        return merged
    assert first_error is not None  # env_values always yields at least one reading
    raise first_error


def _ports_overlay(path: Path) -> dict[str, Any]:
    raw = _read_json_object(path)
    overlay: dict[str, Any] = {}
    for key, setting in (("core", "core_port"), ("seaweed_s3", "seaweed_s3_port")):
        if key in raw:
            port = raw[key]
            if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
                raise ConfigError(str(path), key, "must be a port number from 1 to 65535")
            overlay[setting] = port
    return {"network": overlay} if overlay else {}


def new_install_token() -> str:
    return secrets.token_urlsafe(32)


def write_json_atomically(path: Path, value: Mapping[str, Any]) -> None:
    """Write ``path`` so readers see the old file or the new one, never half; mode 0600."""
    data = msgspec.json.format(msgspec.json.encode(value), indent=2) + b"\n"
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):  # not every platform can open a directory to fsync it
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def update_core_json(paths: HomePaths, change: Callable[[dict[str, Any]], None]) -> CoreConfig:
    """Apply ``change`` to the raw ``core.json`` object, validate, and write it back atomically.

    Only the keys ``change`` touches move; unknown-to-us keys the user wrote are refused on load, so
    the round trip keeps everything the file held.
    """
    raw = _read_json_object(paths.core_json) if paths.core_json.exists() else {}
    change(raw)
    config = _validate(raw, str(paths.core_json))
    write_json_atomically(paths.core_json, raw)
    return config


def _initial_core_json() -> dict[str, Any]:
    defaults = msgspec.to_builtins(CoreConfig())
    defaults["auth"]["install_token"] = new_install_token()
    return {key: defaults[key] for key in ("version", "auth", "network", "tools", "storage")}


def _resolve_dir(home: Path, override: str | None, default: Path) -> Path:
    if not override:
        return default
    candidate = Path(override).expanduser()
    return candidate if candidate.is_absolute() else (home / candidate)


def resolve_paths(home: Path, config: CoreConfig) -> HomePaths:
    """Folders after ``paths.*`` overrides (``config/`` and ``tmp/`` cannot move)."""
    base = fixed_paths(home)
    p = config.paths
    return replace(
        base,
        db_dir=_resolve_dir(home, p.db_dir, base.db_dir),
        assets_dir=_resolve_dir(home, p.assets_dir, base.assets_dir),
        s3_dir=_resolve_dir(home, p.s3_dir, base.s3_dir),
        logs_dir=_resolve_dir(home, p.logs_dir, base.logs_dir),
        plugins_dir=_resolve_dir(home, p.plugins_dir, base.plugins_dir),
    )


def load_config(
    home: Path,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    create: bool = True,
) -> LoadedConfig:
    """Read every layer, validate each, and return the effective config.

    With ``create`` (start-up), a missing ``core.json`` is written with defaults and a fresh install
    token, and a valid file that lacks a token gets one; otherwise nothing is written.
    """
    env = os.environ if env is None else env
    base = fixed_paths(home)
    sources: list[str] = []
    if base.core_json.exists():
        raw = _read_json_object(base.core_json)
        _validate(raw, str(base.core_json))
        sources.append(str(base.core_json))
        if create and not raw.get("auth", {}).get("install_token"):
            update_core_json(
                base, lambda r: r.setdefault("auth", {}).update(install_token=new_install_token())
            )
            raw = _read_json_object(base.core_json)
    elif create:
        raw = _initial_core_json()
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        base.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_json_atomically(base.core_json, raw)
        sources.append(str(base.core_json))
    else:  # defaults only: no token is invented that no file holds
        raw = {}

    for ports_file in (base.legacy_ports_json, base.ports_json):  # the newer location wins
        if ports_file.exists():
            raw = _deep_merge(raw, _ports_overlay(ports_file))
            _validate(raw, str(ports_file))
            sources.append(str(ports_file))

    for dotted, (name, text) in sorted(env_overlay(env).items()):
        raw = _merge_env(raw, dotted, name, text)
        sources.append(name)

    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        raw = _deep_merge(raw, dotted_to_nested(dotted, value))
        _validate(raw, f"command-line option for {dotted}")
        sources.append(f"--{dotted}")

    config = _validate(raw, "effective configuration")
    return LoadedConfig(config=config, paths=resolve_paths(home, config), sources=tuple(sources))
