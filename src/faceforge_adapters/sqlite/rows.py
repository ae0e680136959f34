"""Records to table rows and back, derived from the msgspec Struct that defines the record.

A ``RowCodec`` reads the record's fields once: each becomes a column of the same name (or the name
given in ``renamed``), stored as it is for text and numbers, as ``0``/``1`` for booleans, as RFC 3339
text for timestamps and as JSON text for everything else (lists, objects, nested Structs; an optional
one is ``NULL`` when absent). A nested Struct listed in ``flattened`` spreads over columns named
``<field>_<its field>`` instead, and one listed in ``packed`` is stored as zlib-compressed JSON (a
BLOB; plain JSON text written before it was packed still reads). So adding a field to a record adds it
to every statement and every row mapping at once; the table needs the column (a migration), and a test
checks that it has it.
"""

from __future__ import annotations

import sqlite3
import types
import zlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar, Union, get_args, get_origin

import msgspec

from faceforge_domain.timefmt import format_timestamp, parse_timestamp

S = TypeVar("S", bound=msgspec.Struct)
_PLAIN = (
    msgspec.inspect.StrType,
    msgspec.inspect.IntType,
    msgspec.inspect.FloatType,
    msgspec.inspect.LiteralType,
)


def to_json(value: Any) -> str:
    return msgspec.json.encode(value).decode("utf-8")


def from_json(text: str | None) -> Any:
    return None if text is None else msgspec.json.decode(text)


def to_ts(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)


def from_ts(text: str | None) -> datetime | None:
    return None if text is None else parse_timestamp(text)


def require_ts(text: str) -> datetime:
    return parse_timestamp(text)


def _same(value: Any) -> Any:
    return value


def _optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert`` for a value that may be absent: ``None`` stays ``None``."""
    return lambda value: None if value is None else convert(value)


def _without_none(annotation: Any) -> tuple[Any, bool]:
    """The annotation with ``None`` taken out of a union, and whether it was there."""
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(kept) < len(get_args(annotation)):
            return (kept[0] if len(kept) == 1 else Union[tuple(kept)]), True  # noqa: UP007  (built at runtime)
    return annotation, False


def _holds_struct(info: msgspec.inspect.Type) -> bool:
    """Whether a type is or holds a Struct: JSON of that shape is decoded into it (plain JSON is
    decoded as it is, twice as fast)."""
    if isinstance(info, msgspec.inspect.StructType):
        return True
    inner = [getattr(info, name) for name in ("item_type", "key_type", "value_type") if hasattr(info, name)]
    inner += [*getattr(info, "types", ()), *getattr(info, "item_types", ())]
    return any(_holds_struct(each) for each in inner)


class Column(msgspec.Struct, frozen=True):
    """One column: its name, and how a field's value is written to it and read from it."""

    name: str
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


def column_for(name: str, annotation: Any) -> Column:
    """The column a field of type ``annotation`` is stored in."""
    inner, optional = _without_none(annotation)
    info = msgspec.inspect.type_info(inner)
    if isinstance(info, msgspec.inspect.DateTimeType):
        return Column(name, to_ts, from_ts if optional else parse_timestamp)
    if isinstance(info, msgspec.inspect.BoolType):
        return Column(name, _optional(int), _optional(bool))
    if isinstance(info, _PLAIN):
        return Column(name, _same, _same)
    if isinstance(info, msgspec.inspect.AnyType):  # any JSON value, null included
        return Column(name, to_json, from_json)
    decode = msgspec.json.Decoder(inner if _holds_struct(info) else Any).decode
    if optional:
        return Column(name, _optional(to_json), _optional(decode))
    return Column(name, to_json, decode)


# zlib's default level: ExifTool's JSON for a camera JPEG (82 KB) packs to 12.7 KB in 0.4 ms; level 1
# saves 0.3 ms a file for 11% more bytes, level 9 costs three times as long for 3% fewer.
PACK_LEVEL = 6


def packed_column(name: str, annotation: Any) -> Column:
    """A column holding JSON compressed with zlib; text from before packing is read as it is."""
    decode = msgspec.json.Decoder(annotation).decode

    def unpack(value: str | bytes) -> Any:
        return decode(zlib.decompress(value) if isinstance(value, bytes) else value)

    return Column(name, lambda value: zlib.compress(msgspec.json.encode(value), PACK_LEVEL), unpack)


class RowCodec(Generic[S]):
    """How records of one Struct type are stored in one table (``key`` is the primary-key field)."""

    def __init__(
        self,
        record: type[S],
        table: str,
        *,
        key: str,
        renamed: Mapping[str, str] | None = None,
        flattened: tuple[str, ...] = (),
        packed: tuple[str, ...] = (),
    ) -> None:
        renamed = renamed or {}
        self.record = record
        self.table = table
        self.key = key
        # Per field: the Struct its columns build (None for a field in one column), and those columns.
        self._fields: list[tuple[str, Any, list[tuple[str, Column]]]] = []
        for field in msgspec.structs.fields(record):
            if field.name in flattened:
                parts = [
                    (part.name, column_for(f"{field.name}_{part.name}", part.type))
                    for part in msgspec.structs.fields(field.type)
                ]
                self._fields.append((field.name, field.type, parts))
            else:
                make = packed_column if field.name in packed else column_for
                column = make(renamed.get(field.name, field.name), field.type)
                self._fields.append((field.name, None, [(field.name, column)]))
        self.columns = tuple(column.name for _, _, parts in self._fields for _, column in parts)
        # Fields in one column, read in one pass (no call for a value stored as it is).
        self._reads = [
            (field, parts[0][1].name, None if parts[0][1].decode is _same else parts[0][1].decode)
            for field, struct, parts in self._fields
            if struct is None
        ]
        key_column = renamed.get(key, key)
        self._key_index = self.columns.index(key_column)
        self.column_list = ", ".join(self.columns)
        self.insert_sql = (
            f"INSERT INTO {table} ({self.column_list}) VALUES ({', '.join('?' * len(self.columns))})"
        )
        assignments = ", ".join(f"{column} = ?" for column in self.columns if column != key_column)
        self.update_sql = f"UPDATE {table} SET {assignments} WHERE {key_column} = ?"

    def values(self, record: S) -> tuple[Any, ...]:
        """The record's column values, in ``columns`` order (for ``insert_sql``)."""
        values: list[Any] = []
        for field, struct, parts in self._fields:
            value = getattr(record, field)
            for name, column in parts:
                values.append(column.encode(value if struct is None else getattr(value, name)))
        return tuple(values)

    def column(self, field: str) -> Column:
        """The column a field in one column is stored in (to encode or decode its value alone)."""
        return next(parts[0][1] for name, struct, parts in self._fields if name == field and struct is None)

    def part_columns(self, field: str) -> tuple[str, ...]:
        """The columns a flattened field spreads over."""
        return tuple(column.name for name, _, parts in self._fields if name == field for _, column in parts)

    def part_values(self, field: str, value: Any) -> tuple[Any, ...]:
        """A flattened field's value as its columns' values, in ``part_columns`` order."""
        parts = next(parts for name, struct, parts in self._fields if name == field and struct is not None)
        return tuple(column.encode(getattr(value, name)) for name, column in parts)

    def update_values(self, record: S) -> tuple[Any, ...]:
        """The values for ``update_sql``: every column but the key, then the key."""
        values = self.values(record)
        return (*values[: self._key_index], *values[self._key_index + 1 :], values[self._key_index])

    def from_row(self, row: sqlite3.Row) -> S:
        """The record a row holds (its columns selected by name, in any order)."""
        fields: dict[str, Any] = {}
        for field, column, decode in self._reads:
            value = row[column]
            fields[field] = value if decode is None else decode(value)
        for field, struct, parts in self._fields:
            if struct is not None:
                fields[field] = struct(**{name: column.decode(row[column.name]) for name, column in parts})
        return self.record(**fields)
