"""Field definitions and value validation: the plain-words messages people see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from faceforge_domain.errors import FieldError
from faceforge_domain.fields import check_definition, validate_fields, validate_value
from faceforge_domain.models import FieldDefinition

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def definition(field_type: Any = "string", **rules: Any) -> FieldDefinition:
    return FieldDefinition(
        field_def_id="0" * 64,
        field_key=rules.pop("field_key", "k"),
        scope=rules.pop("scope", "descriptor"),
        field_type=field_type,
        created_at=NOW,
        updated_at=NOW,
        **rules,
    )


@pytest.mark.parametrize(
    ("d", "value", "message"),
    [
        (definition(regex=r"^\+?[0-9 ]+$"), "call me", r"must match ^\+?[0-9 ]+$"),
        (definition("enum", options=["left", "right"]), "both", "must be one of: left, right"),
        (definition("int"), 1.5, "must be a whole number"),
        (definition("int"), True, "must be a whole number"),
        (definition("int", min=1, max=10), 11, "must be at most 10"),
        (definition("float", min=0.5), 0.25, "must be at least 0.5"),
        (definition("float"), "1", "must be a number"),
        (definition("bool"), "yes", "must be true or false"),
        (definition("string", max=3), "abcd", "must be at most 3 characters"),
        (definition("text", min=2), "a", "must be at least 2 characters"),
        (
            definition("date"),
            "2020-02-30",
            "must be a date: a year (1990), a year and month (1990-05) or a day (1990-05-17)",
        ),
        (
            definition("date"),
            "20200101",
            "must be a date: a year (1990), a year and month (1990-05) or a day (1990-05-17)",
        ),
        (
            definition("date"),
            "1990-13",
            "must be a date: a year (1990), a year and month (1990-05) or a day (1990-05-17)",
        ),
        (
            definition("date"),
            "90",
            "must be a date: a year (1990), a year and month (1990-05) or a day (1990-05-17)",
        ),
        (definition("datetime"), "2020-01-01T10:00:00", "must be an RFC 3339 date-time with a UTC offset"),
        (definition("url"), "ftp://example.com", "must be an http(s) URL"),
        (definition("email"), "ada@", "must be an email address"),
        (definition("string", required=True), "", "is required"),
        (definition("string"), ["a"], "holds a single value (the field is not multiple)"),
    ],
)
def test_bad_values_get_plain_words(d: FieldDefinition, value: Any, message: str) -> None:
    assert validate_value(d, value, "value", allow_list=True) == [FieldError("value", message)]


@pytest.mark.parametrize(
    ("d", "value"),
    [
        (definition(regex=r"^\+?[0-9 ]+$"), "+44 20 7946 0000"),
        (definition("int", min=1, max=10), 10),
        (definition("float"), 3),
        (definition("date"), "2020-02-29"),
        (definition("date"), "1990"),
        (definition("date"), "1990-05"),
        (definition("datetime"), "2020-01-01T10:00:00.5+02:00"),
        (definition("url"), "https://example.com/a?b=c"),
        (definition("email"), "ada@example.org"),
        (definition("json"), {"any": ["thing"]}),
        (definition("bool"), False),
        (definition("string"), ""),
    ],
)
def test_good_values_pass(d: FieldDefinition, value: Any) -> None:
    assert validate_value(d, value, "value", allow_list=False) == []


def test_multiple_fields_check_each_element_by_position() -> None:
    d = definition("int", multiple=True, max=5)
    assert validate_value(d, [1, 9, "x"], "fields/n", allow_list=True) == [
        FieldError("fields/n/1", "must be at most 5"),
        FieldError("fields/n/2", "must be a whole number"),
    ]


def test_entity_fields_need_definitions_and_required_keys_on_create() -> None:
    defs = {"born": definition("date", field_key="born", scope="entity", required=True)}
    assert validate_fields(defs, {"x": 1}, creating=True) == [
        FieldError("fields/x", "has no field definition (create one under /v1/admin/field-defs)"),
        FieldError("fields/born", "is required"),
    ]
    # an edit checks only what it touched: old records without the key stay editable
    assert validate_fields(defs, {}, keys={"nick"}, creating=False) == []
    assert validate_fields(defs, {}, keys={"born"}, creating=False) == [
        FieldError("fields/born", "is required")
    ]


@pytest.mark.parametrize(
    ("d", "field"),
    [
        (definition(field_key="Upper"), "field_key"),
        (definition(field_key="a" * 65), "field_key"),
        (definition(regex="(unclosed"), "regex"),
        (definition("int", regex="^1$"), "regex"),
        (definition("enum"), "options"),
        (definition("enum", options=["a", ""]), "options"),
        (definition("string", options=["a"]), "options"),
        (definition("int", min=3, max=1), "max"),
        (definition("string", min=-1), "min"),
        (definition("date", max=1), "min"),
        (definition(label="x" * 201), "label"),
    ],
)
def test_definitions_that_break_the_rules(d: FieldDefinition, field: str) -> None:
    assert [e.field for e in check_definition(d)] == [field]


def test_a_bad_key_is_explained_in_words_without_a_pattern() -> None:
    (problem,) = check_definition(definition(field_key="Eye colour"))
    assert problem.message.startswith("must start with a lowercase letter (a to z)")
    assert "^" not in problem.message


def test_a_sound_definition_has_no_problems() -> None:
    d = definition("enum", options=["left", "right"], required=True, label="Hand", multiple=True)
    assert check_definition(d) == []
