"""Domain records on the wire, derived from the response Struct's own fields.

A ``Wire`` turns a record into its response Struct: every field of the response takes the record's
attribute of the same name (a property counts), timestamps become RFC 3339 text with milliseconds, and
nested records become their own response Structs (one, an optional one, or a list). Values the record
does not hold (``deduplicated``, a link's ``role``) are passed by name. The record's fields that stay
off the wire are listed in ``hidden`` with the reason, and a test checks that every field of every
record is on the wire or listed there.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar, Union, get_args, get_origin

import msgspec

from faceforge_domain.timefmt import format_timestamp

R = TypeVar("R")
Out = TypeVar("Out", bound=msgspec.Struct)


def _plain(value: Any) -> Any:
    return format_timestamp(value) if isinstance(value, datetime) else value


def _struct_type(annotation: Any) -> Any:
    """The response Struct an annotation names (``T``, ``T | None``), else None."""
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [arg for arg in get_args(annotation) if arg is not type(None)]
        annotation = kept[0] if len(kept) == 1 else None
    return annotation if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct) else None


def _converter(annotation: Any) -> Callable[[Any], Any]:
    """How a record's value becomes the value of a response field of type ``annotation``."""
    if (nested := _struct_type(annotation)) is not None:
        return lambda value: None if value is None else to_wire(nested, value)
    if get_origin(annotation) is list and (item := _struct_type(get_args(annotation)[0])) is not None:
        return lambda values: [to_wire(item, value) for value in values]
    return _plain


_PLANS: dict[type[Any], list[tuple[str, Callable[[Any], Any]]]] = {}


def _plan(out: type[Any]) -> list[tuple[str, Callable[[Any], Any]]]:
    if out not in _PLANS:
        _PLANS[out] = [(field.name, _converter(field.type)) for field in msgspec.structs.fields(out)]
    return _PLANS[out]


def to_wire(out: type[Out], record: Any, **given: Any) -> Out:
    """``record`` as the response Struct ``out``; ``given`` supplies the fields the record lacks."""
    values = {name: convert(getattr(record, name)) for name, convert in _plan(out) if name not in given}
    return out(**values, **given)


class Wire(Generic[R, Out]):
    """How one kind of domain record goes on the wire: its response Struct, and the fields it keeps
    back (field name -> why)."""

    def __init__(self, record: type[R], out: type[Out], *, hidden: Mapping[str, str] | None = None) -> None:
        self.record = record
        self.out = out
        self.hidden = dict(hidden or {})

    def __call__(self, record: R, **given: Any) -> Out:
        return to_wire(self.out, record, **given)
