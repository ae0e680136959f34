"""Field types as people name them; the API keeps its own names (``int``, ``enum``...)."""

from __future__ import annotations

from faceforge_domain.fields import FIELD_TYPES

TYPE_NAMES = {
    "string": "Text",
    "text": "Long text",
    "int": "Whole number",
    "float": "Number",
    "bool": "Yes/No",
    "date": "Date",
    "datetime": "Date and time",
    "enum": "Choice",
    "url": "Web address",
    "email": "Email address",
    "json": "Structured data (JSON)",
}
if set(TYPE_NAMES) != set(FIELD_TYPES):  # a new type needs its name here before the UI can offer it
    raise RuntimeError("every field type needs a name people read")


def type_name(field_type: str) -> str:
    """``enum`` -> ``Choice``; an unknown type is shown as it is."""
    return TYPE_NAMES.get(field_type, field_type)
