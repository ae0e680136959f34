"""JSON request bodies decoded with clear errors for what the decoder itself chokes on.

msgspec reports a malformed document as ``DecodeError`` (Litestar answers that), but bytes that are not
UTF-8 raise ``UnicodeDecodeError`` and a document nested deeper than the interpreter's stack allows
raises ``RecursionError``; both would otherwise be a 500. Here they are a 422 on the field ``body``.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

T = TypeVar("T")


def _refuse(message: str) -> ValidationException:
    return ValidationException(detail=message, extra=[{"key": "data", "message": message, "source": "body"}])


class JsonRequest(Request[Any, Any, Any]):
    """The app's request class: ``json()`` turns the decoder's own failures into validation errors."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except UnicodeDecodeError:
            raise _refuse("the body is not valid UTF-8 (JSON text must be UTF-8)") from None
        except RecursionError:
            raise _refuse("the JSON body is nested too deeply") from None


async def exactly(request: Request[Any, Any, Any], body_type: type[T]) -> T:
    """The body decoded strictly: Litestar converts leniently (``0`` passes for ``false``), which a
    body that starts destructive work (a repair) must not allow."""
    try:
        return msgspec.json.decode(await request.body(), type=body_type)
    except msgspec.ValidationError as exc:
        raise _refuse(str(exc)) from None
