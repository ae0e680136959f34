"""JsonSchemaConfigs: plugin config schemas checked and applied with ``jsonschema`` (Draft 2020-12)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from faceforge_domain.errors import FieldError
from faceforge_domain.plugins.manifest import pointer


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
            missing = [name for name in required if name not in error.instance]
            for name in missing:
                by_pointer.setdefault(where + pointer(name), []).append("is required")
            continue
        messages = by_pointer.setdefault(where, [])
        if error.message not in messages:
            messages.append(error.message)
    return [FieldError(where or "/", "; ".join(msgs)) for where, msgs in sorted(by_pointer.items())]


class JsonSchemaConfigs:
    def schema_problems(self, schema: dict[str, Any]) -> list[FieldError]:
        meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
        return _errors(meta.iter_errors(schema))

    def apply(
        self, schema: dict[str, Any], config: dict[str, Any]
    ) -> tuple[dict[str, Any], list[FieldError]]:
        filled: dict[str, Any] = fill_defaults(schema, config)
        if not schema:
            return filled, []
        return filled, _errors(Draft202012Validator(schema).iter_errors(filled))
