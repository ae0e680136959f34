"""Field definitions and value validation: a flexible schema that needs no migration.

A definition says what a value under a key must look like; ``validate_value`` answers with plain-words
``FieldError``s (``"must match ^\\+?[0-9 ]+$"``, ``"must be one of: left, right"``) so a person can fix
the input without reading code. Definitions never rewrite stored data: records checked later against a
changed definition are reported as violations instead.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from faceforge_domain.errors import FieldError
from faceforge_domain.models import FieldDefinition
from faceforge_domain.queries import FIELD_KEY
from faceforge_domain.text import NAME_RULE, text_problem
from faceforge_domain.timefmt import PARTIAL_DATE_WORDS, parse_partial_date, parse_timestamp

FIELD_TYPES = ("string", "text", "int", "float", "bool", "date", "datetime", "enum", "url", "email", "json")
SCOPES = ("entity", "descriptor")
KEY_WORDS = (
    "must start with a lowercase letter (a to z) and hold only lowercase letters, digits and "
    "underscores (_), at most 64 characters, such as eye_color"
)
PATTERN_TYPES = frozenset({"string", "text", "url", "email"})
LENGTH_TYPES = frozenset({"string", "text"})
NUMBER_TYPES = frozenset({"int", "float"})
MAX_LABEL = 200
MAX_HELP = 2000
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def check_definition(d: FieldDefinition) -> list[FieldError]:
    """Every rule a definition itself must satisfy (a regex that compiles, options for enums...)."""
    errors: list[FieldError] = []
    if not FIELD_KEY.fullmatch(d.field_key):
        errors.append(FieldError("field_key", KEY_WORDS))
    if d.scope not in SCOPES:
        errors.append(FieldError("scope", "must be one of: " + ", ".join(SCOPES)))
    if d.field_type not in FIELD_TYPES:
        errors.append(FieldError("field_type", "must be one of: " + ", ".join(FIELD_TYPES)))
    if d.regex is not None:
        if d.field_type not in PATTERN_TYPES:
            errors.append(FieldError("regex", "applies only to string, text, url and email fields"))
        else:
            try:
                re.compile(d.regex)
            except re.error as exc:
                errors.append(FieldError("regex", f"is not a valid regular expression: {exc}"))
    if d.field_type == "enum":
        if not d.options:
            errors.append(FieldError("options", "an enum field needs at least one option"))
        elif any(not isinstance(o, str) or text_problem(o) for o in d.options):
            errors.append(FieldError("options", "each option " + NAME_RULE))
        elif len(set(d.options)) != len(d.options):
            errors.append(FieldError("options", "options must not repeat"))
    elif d.options is not None:
        errors.append(FieldError("options", "applies only to enum fields"))
    if d.min is not None or d.max is not None:
        if d.field_type not in NUMBER_TYPES | LENGTH_TYPES:
            errors.append(FieldError("min", "min/max apply only to int, float, string and text fields"))
        elif d.min is not None and d.max is not None and d.min > d.max:
            errors.append(FieldError("max", "must not be less than min"))
        elif d.field_type in LENGTH_TYPES and ((d.min or 0) < 0 or (d.max or 0) < 0):
            errors.append(FieldError("min", "lengths cannot be negative"))
    texts = (("label", d.label, MAX_LABEL, False), ("help", d.help, MAX_HELP, True))
    for field, text, longest, multiline in texts:
        if text is None:
            continue
        if len(text) > longest:
            errors.append(FieldError(field, f"must be at most {longest} characters"))
        elif problem := text_problem(text, multiline=multiline):
            errors.append(FieldError(field, problem))
    return errors


def _type_problem(d: FieldDefinition, value: Any) -> str | None:
    """Why ``value`` is not of the definition's type, or None when it is."""
    kind = d.field_type
    if kind == "json":
        return None
    if kind == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "int":
        return None if isinstance(value, int) and not isinstance(value, bool) else "must be a whole number"
    if kind == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a number"
    if not isinstance(value, str):
        return "must be a string"
    if kind == "date":
        try:
            parse_partial_date(value)
        except ValueError:
            return f"must be a date: {PARTIAL_DATE_WORDS}"
        return None
    if kind == "datetime":
        try:
            if _DATETIME.match(value):
                parse_timestamp(value)
                return None
        except ValueError:
            pass
        return "must be an RFC 3339 date-time with a UTC offset"
    if kind == "enum":
        options = d.options or []
        return None if value in options else "must be one of: " + ", ".join(options)
    if kind == "url":
        parts = urlsplit(value)
        return None if parts.scheme in ("http", "https") and parts.netloc else "must be an http(s) URL"
    if kind == "email":
        return None if _EMAIL.fullmatch(value) else "must be an email address"
    return None


def _one(d: FieldDefinition, value: Any, path: str) -> list[FieldError]:
    if value is None or value == "":
        return [FieldError(path, "is required")] if d.required else []
    problem = _type_problem(d, value)
    if problem:
        return [FieldError(path, problem)]
    errors: list[FieldError] = []
    if d.regex is not None and isinstance(value, str) and not re.search(d.regex, value):
        errors.append(FieldError(path, f"must match {d.regex}"))
    if d.field_type in NUMBER_TYPES:
        if d.min is not None and value < d.min:
            errors.append(FieldError(path, f"must be at least {_num(d.min)}"))
        if d.max is not None and value > d.max:
            errors.append(FieldError(path, f"must be at most {_num(d.max)}"))
    elif d.field_type in LENGTH_TYPES:
        if d.min is not None and len(value) < d.min:
            errors.append(FieldError(path, f"must be at least {_num(d.min)} characters"))
        if d.max is not None and len(value) > d.max:
            errors.append(FieldError(path, f"must be at most {_num(d.max)} characters"))
    return errors


def validate_value(d: FieldDefinition, value: Any, path: str, *, allow_list: bool) -> list[FieldError]:
    """Check one value (or, with ``allow_list`` and a ``multiple`` definition, a list of values)."""
    if isinstance(value, list) and d.field_type != "json":
        if not (allow_list and d.multiple):
            return [FieldError(path, "holds a single value (the field is not multiple)")]
        if not value and d.required:
            return [FieldError(path, "is required")]
        return [e for i, item in enumerate(value) for e in _one(d, item, f"{path}/{i}")]
    return _one(d, value, path)


def validate_fields(
    definitions: dict[str, FieldDefinition],
    fields: dict[str, Any],
    *,
    keys: set[str] | None = None,
    creating: bool,
) -> list[FieldError]:
    """Check an entity's ``fields`` object against the entity-scope definitions.

    Only ``keys`` are checked when given (a patch checks what it touched, so records made before a
    definition changed can still be edited). ``creating`` also demands every required key.
    """
    errors: list[FieldError] = []
    for key in sorted(fields if keys is None else keys):
        path = f"fields/{key}"
        if key not in fields:
            if definitions.get(key) is not None and definitions[key].required:
                errors.append(FieldError(path, "is required"))
            continue
        d = definitions.get(key)
        if d is None:
            errors.append(FieldError(path, "has no field definition (create one under /v1/admin/field-defs)"))
            continue
        errors.extend(validate_value(d, fields[key], path, allow_list=True))
    if creating:
        errors.extend(
            FieldError(f"fields/{key}", "is required")
            for key, d in sorted(definitions.items())
            if d.required and key not in fields
        )
    return errors
