"""Reading ``plugin.json``: every problem at once, each with its file, JSON pointer and a plain message.

msgspec stops at the first error, so the manifest is decoded as plain JSON first and each field is
converted on its own; the rules (id, versions, prefix, job types, permissions, schema) follow.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from faceforge_domain.plugins.models import PLUGIN_ID_PATTERN, PluginManifest, Problem
from faceforge_domain.plugins.permissions import permission_problem
from faceforge_domain.plugins.ports import ConfigSchemas
from faceforge_domain.plugins.semver import SemverError, parse_range, parse_version

JOB_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$")
_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]*)`$", re.DOTALL)
_FIELDS = {f.encode_name: f for f in msgspec.structs.fields(PluginManifest)}


def escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*parts: str | int) -> str:
    return "".join("/" + escape_pointer(str(part)) for part in parts)


def _msgspec_problem(file: str, base: str, error: msgspec.ValidationError) -> Problem:
    """Turn msgspec's ``... - at `$.a[0]``` into a JSON pointer below ``base``."""
    match = _AT.fullmatch(str(error))
    assert match is not None  # the pattern matches any text
    message, path = match["message"], match["path"] or ""
    where = base + "".join(pointer(m[1] if m[1] is not None else m[2]) for m in _PATH_PART.finditer(path))
    for shape, template in (
        (_UNKNOWN, "unknown field (not part of the manifest format)"),
        (_MISSING, "is required"),
    ):
        found = shape.fullmatch(message)
        if found:
            return Problem(file=file, pointer=where + pointer(found["name"]), message=template)
    return Problem(file=file, pointer=where, message=message)


def _shape_problems(file: str, data: dict[str, Any]) -> list[Problem]:
    problems = []
    for key in data:
        if key not in _FIELDS:
            problems.append(
                Problem(
                    file=file, pointer=pointer(key), message="unknown field (not part of the manifest format)"
                )
            )
    for name, info in _FIELDS.items():
        if name not in data:
            if info.required:
                problems.append(Problem(file=file, pointer=pointer(name), message="is required"))
            continue
        try:
            msgspec.convert(data[name], info.type)
        except msgspec.ValidationError as exc:
            problems.append(_msgspec_problem(file, pointer(name), exc))
    return problems


def _rule_problems(file: str, manifest: PluginManifest, schemas: ConfigSchemas) -> list[Problem]:
    def problem(where: str, message: str) -> None:
        problems.append(Problem(file=file, pointer=where, message=message))

    problems: list[Problem] = []
    pid = manifest.id
    if not PLUGIN_ID_PATTERN.fullmatch(pid):
        problem(
            "/id",
            "must be 2 to 64 characters: lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )
    if not manifest.name.strip():
        problem("/name", "must not be empty")
    for name in ("version", "core_compat"):
        try:
            (parse_version if name == "version" else parse_range)(getattr(manifest, name))
        except SemverError as exc:
            problem(pointer(name), str(exc))
    expected_prefix = f"/v1/plugins/{pid}"
    if manifest.routes_prefix is not None and manifest.routes_prefix.rstrip("/") != expected_prefix:
        problem("/routes_prefix", f"must be {expected_prefix!r}")
    for index, job_type in enumerate(manifest.job_types):
        name = job_type[len(pid) + 1 :] if job_type.startswith(pid + ".") else ""
        if not name or not JOB_NAME_PATTERN.fullmatch(name):
            problem(
                pointer("job_types", index),
                f"must be namespaced as '{pid}.<name>' (lowercase letters, digits, '_' and '-')",
            )
    if len(set(manifest.job_types)) != len(manifest.job_types):
        problem("/job_types", "lists a job type twice")
    for index, permission in enumerate(manifest.permissions):
        why = permission_problem(permission)
        if why:
            problem(pointer("permissions", index), why)
    if len(set(manifest.capabilities)) != len(manifest.capabilities):
        problem("/capabilities", "lists a capability twice")
    for index, route in enumerate(manifest.entrypoints.ui):
        if not route.startswith("/") or ".." in route.split("/"):
            problem(
                pointer("entrypoints", "ui", index),
                "must be a path starting with '/' (served under the routes prefix)",
            )
    runner = manifest.entrypoints.runner
    if runner is not None and not (runner.strip() if isinstance(runner, str) else runner and all(runner)):
        problem("/entrypoints/runner", "must be a non-empty command")
    if manifest.config_schema:
        for error in schemas.schema_problems(manifest.config_schema):
            problem("/config_schema" + error.field, error.message)
        if manifest.config_schema.get("type", "object") != "object":
            problem("/config_schema/type", "a plugin config is a JSON object: the type must be 'object'")
    return problems


def parse_manifest(
    file: str, raw: bytes, schemas: ConfigSchemas
) -> tuple[PluginManifest | None, str | None, list[Problem]]:
    """The manifest (None when it has problems), the id it claims when readable, and its problems."""
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        return None, None, [Problem(file=file, pointer="", message=f"not valid JSON: {exc}")]
    if not isinstance(data, dict):
        return None, None, [Problem(file=file, pointer="", message="must be a JSON object")]
    claimed = data.get("id") if isinstance(data.get("id"), str) else None
    claimed = claimed if claimed and PLUGIN_ID_PATTERN.fullmatch(claimed) else None
    problems = _shape_problems(file, data)
    if problems:
        return None, claimed, problems
    manifest = msgspec.convert(data, PluginManifest)
    problems = _rule_problems(file, manifest, schemas)
    return (None if problems else manifest), claimed, problems
