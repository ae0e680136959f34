"""JsonSchemaConfigs: plugin config schemas checked and applied with ``jsonschema`` (Draft 2020-12).

Core never fetches anything a schema points at: every validator gets an empty ``referencing``
registry, so a ``$ref`` to a URL is a problem reported at its pointer, not a network request.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from faceforge_domain.errors import FieldError
from faceforge_domain.plugins.manifest import pointer

_BASE = "urn:faceforge:plugin-config"


def _pointer(path: Iterable[str | int]) -> str:
    return pointer(*path)


def fill_defaults(schema: Any, value: Any) -> Any:
    """A copy of ``value`` with every missing property that has a ``default`` in ``schema`` filled in.

    Follows ``properties`` into nested objects (including ones the defaults themselves created), which
    is how plugin config schemas describe their settings.
    """
    if not isinstance(schema, dict) or not isinstance(value, dict):
        return copy.deepcopy(value)
    filled = copy.deepcopy(value)
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, sub in properties.items():
            if name not in filled and isinstance(sub, dict) and "default" in sub:
                filled[name] = copy.deepcopy(sub["default"])
            if name in filled:
                filled[name] = fill_defaults(sub, filled[name])
    return filled


def _errors(errors: Iterable[ValidationError]) -> list[FieldError]:
    """One error per JSON pointer (messages at one place joined), in pointer order.

    A missing required property is reported at the property's own pointer, which is where a form
    would show it.
    """
    by_pointer: dict[str, list[str]] = {}
    for error in errors:
        where = _pointer(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            required: list[str] = list(error.validator_value)  # type: ignore[arg-type]
            for name in required:
                if name not in error.instance:
                    by_pointer.setdefault(where + pointer(name), []).append("is required")
            continue
        messages = by_pointer.setdefault(where, [])
        if error.message not in messages:
            messages.append(error.message)
    return [FieldError(where or "/", "; ".join(msgs)) for where, msgs in sorted(by_pointer.items())]


def _refs(node: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every ``$ref`` in a schema, with its JSON pointer."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield where + "/$ref", ref
        for key, value in node.items():
            yield from _refs(value, where + pointer(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, where + pointer(index))


def _ref_problems(schema: dict[str, Any]) -> list[FieldError]:
    """References must point inside the config schema itself (``#/$defs/...``)."""
    resolver = Registry().with_resource(_BASE, DRAFT202012.create_resource(schema)).resolver(_BASE)
    problems = []
    for where, ref in _refs(schema, ""):
        if not ref.startswith("#"):
            problems.append(
                FieldError(where, "only references inside the schema ('#/$defs/...') are allowed")
            )
            continue
        try:
            resolver.lookup(ref)
        except Unresolvable:
            problems.append(FieldError(where, f"{ref!r} points nowhere in the schema"))
    return problems


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=Registry())


class JsonSchemaConfigs:
    def schema_problems(self, schema: dict[str, Any]) -> list[FieldError]:
        meta = Draft202012Validator(
            Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        return _errors(meta.iter_errors(schema)) or _ref_problems(schema)

    def apply(
        self, schema: dict[str, Any], config: dict[str, Any]
    ) -> tuple[dict[str, Any], list[FieldError]]:
        filled: dict[str, Any] = fill_defaults(schema, config)
        if not schema:
            return filled, []
        try:
            return filled, _errors(_validator(schema).iter_errors(filled))
        except Unresolvable as exc:  # only a schema that skipped ``schema_problems`` gets here
            return filled, [FieldError("/", f"the plugin's config schema cannot be used: {exc}")]
