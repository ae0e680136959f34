"""Raw input (decoded JSON, CLI values, script arguments) turned into typed values or a clear ``Invalid``.

Services accept plain mappings because a merge patch produces one; msgspec checks the shapes, and its
messages are reworded into FaceForge's ``FieldError(field, message)`` form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import msgspec

from faceforge_domain.errors import FieldError, Invalid
from faceforge_domain.filetypes import KIND_PATTERN, KIND_RULE
from faceforge_domain.ids import ID_PATTERN, is_id
from faceforge_domain.text import rule_for_pattern, text_problem

T = TypeVar("T")
_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_EXPECTED = re.compile(r"^Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<key>[^`]+)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<key>[^`]+)`$")
_BOUND = re.compile(r"^Expected `(?P<kind>\w+)` (?P<length>of length )?(?P<op>[<>]=?) (?P<limit>\S+)$")
_BOUND_WORDS = {"<=": "at most", ">=": "at least", "<": "less than", ">": "more than"}
_MATCHING = re.compile(r"^Expected `str` matching regex (?P<pattern>.*)$", re.DOTALL)
_NAMES = {"str": "a string", "int": "a whole number", "float": "a number", "bool": "true or false",
          "array": "a list", "object": "an object", "null": "null"}  # fmt: skip


def _pattern_rule(quoted: str) -> str | None:
    """The rule behind a pattern msgspec names (quoted with ``repr``), in plain words."""
    if quoted == repr(ID_PATTERN.pattern):
        return "must be a 64-character lowercase hex id"
    if quoted == repr(KIND_PATTERN.pattern):
        return KIND_RULE
    return rule_for_pattern(quoted)


def _pointer(path: str) -> list[str]:
    """``.a[0].b`` -> ``["a", "0", "b"]``."""
    return [part for part in re.split(r"[.\[\]]+", path) if part]


def slash_path(path: str) -> str:
    """A validator's ``a[0].b`` as FaceForge names fields: ``a/0/b``."""
    return "/".join(_pointer(path))


def reword(message: str, field: str = "body") -> FieldError:
    """A msgspec validation message about ``field`` in plain words.

    ``body`` (or Litestar's ``data``) is the whole request object: its keys are named at the top level.
    """
    field = "body" if field == "data" else field
    root = [] if field == "body" else [field]
    if unknown := _UNKNOWN.match(message):
        return FieldError("/".join([*root, unknown.group("key")]), "is not a known attribute")
    if missing := _MISSING.match(message):
        return FieldError("/".join([*root, missing.group("key")]), "is required")
    if (matching := _MATCHING.match(message)) and (rule := _pattern_rule(matching.group("pattern"))):
        return FieldError(field, rule)
    if bound := _BOUND.match(message):
        unit = {"str": " characters", "array": " items", "object": " keys"}.get(bound.group("kind"), "")
        return FieldError(field, f"must be {_BOUND_WORDS[bound.group('op')]} {bound.group('limit')}{unit}")
    if expected := _EXPECTED.match(message):
        want = " or ".join(_NAMES.get(w.strip(), w.strip()) for w in expected.group("want").split("|"))
        message = f"must be {want}, not {_NAMES.get(expected.group('got'), expected.group('got'))}"
    return FieldError(field, message)


def field_error(exc: msgspec.ValidationError) -> FieldError:
    """One ``msgspec.convert`` failure as a FieldError on a slash path."""
    match = _AT.match(str(exc))
    assert match is not None  # the pattern accepts any text
    return reword(match.group("message"), "/".join(_pointer(match.group("path") or "")) or "body")


def convert(raw: Mapping[str, Any], type_: type[T]) -> T:
    """``msgspec.convert`` with its error turned into ``Invalid``."""
    try:
        return msgspec.convert(raw, type=type_)
    except msgspec.ValidationError as exc:
        raise Invalid([field_error(exc)]) from None


def convert_job_input(raw: Mapping[str, Any], type_: type[T]) -> T:
    """``convert`` for a job's input: the field of the error is named under ``input/``."""
    try:
        return msgspec.convert(raw, type=type_)
    except msgspec.ValidationError as exc:
        problem = field_error(exc)
        raise Invalid([FieldError(f"input/{problem.field}", problem.message)]) from None


def check_asset_ids(ids: Sequence[str], limit: int) -> None:
    """A job's ``asset_ids``: at most ``limit``, each a record id; every bad one is named."""
    if len(ids) > limit:
        raise Invalid.one("input/asset_ids", f"must name at most {limit} assets (got {len(ids)})")
    errors = [
        FieldError(f"input/asset_ids/{index}", "must be a 64-character lowercase hex id")
        for index, asset_id in enumerate(ids)
        if not is_id(asset_id)
    ]
    if errors:
        raise Invalid(errors)


def reject_keys(patch: Mapping[str, Any], read_only: tuple[str, ...], editable: tuple[str, ...]) -> None:
    """A merge patch may touch only editable attributes; name every key it may not touch."""
    errors = [
        FieldError(key, "cannot be changed" if key in read_only else "is not a known attribute")
        for key in patch
        if key not in editable
    ]
    if errors:
        raise Invalid(errors)


def require_object(patch: object) -> dict[str, Any]:
    if not isinstance(patch, dict):
        raise Invalid.one("body", "a merge patch must be a JSON object")
    return patch


def clean_text(
    value: str, field: str, *, max_len: int, errors: list[FieldError], multiline: bool = False
) -> str | None:
    """Trim; None (with an error recorded) when empty, unreadable (``text.text_problem``) or too long."""
    text = value.strip()
    if not text:
        errors.append(FieldError(field, "must not be empty"))
        return None
    if problem := text_problem(value, multiline=multiline):
        errors.append(FieldError(field, problem))
        return None
    if len(text) > max_len:
        errors.append(FieldError(field, f"must be at most {max_len} characters"))
        return None
    return text
