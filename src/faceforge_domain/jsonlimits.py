"""Limits on free-form JSON a client stores in a record (plugin_data, user_metadata, fields, job input...).

Free-form JSON is stored and served as it is, so without a bound one record could make every list that
shows it huge, and a deeply nested one could exhaust the stack of any code that walks it (merge patch,
schema checks, encoders). Each free-form value is therefore at most ``MAX_JSON_BYTES`` once encoded and
at most ``MAX_JSON_DEPTH`` levels deep; a larger or deeper one is refused with a ``FieldError`` naming it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from faceforge_domain.errors import FieldError, Invalid

MAX_JSON_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """How many objects/arrays deep ``value`` nests (a scalar is 0), walked without recursion.

    The walk stops once past ``limit``: the answer is then ``limit + 1``, enough to refuse the value.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def json_problem(value: Any) -> str | None:
    """Why ``value`` may not be stored as free-form JSON, or None when it may."""
    if json_depth(value) > MAX_JSON_DEPTH:
        return f"must not nest deeper than {MAX_JSON_DEPTH} levels"
    if len(msgspec.json.encode(value)) > MAX_JSON_BYTES:
        return f"must be at most {MAX_JSON_BYTES // 1024} KiB as JSON"
    return None


def check_json(field: str, value: Any, errors: list[FieldError]) -> None:
    if value is not None and (problem := json_problem(value)):
        errors.append(FieldError(field, problem))


def require_json(field: str, value: Any) -> None:
    """``check_json`` for a single value: ``Invalid`` when it is too large or too deep."""
    errors: list[FieldError] = []
    check_json(field, value, errors)
    if errors:
        raise Invalid(errors)
