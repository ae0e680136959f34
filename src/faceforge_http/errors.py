"""One table from errors to HTTP: domain errors and the framework's own, all in the envelope."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_405_METHOD_NOT_ALLOWED,
    HTTP_409_CONFLICT,
    HTTP_410_GONE,
    HTTP_412_PRECONDITION_FAILED,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_423_LOCKED,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
    HTTP_507_INSUFFICIENT_STORAGE,
)
from litestar.types import ExceptionHandlersMap

from faceforge_domain.errors import DomainError, FieldError, RangeNotSatisfiable
from faceforge_domain.inputs import reword, slash_path
from faceforge_http.envelope import ErrorDetail, ErrorEnvelope

log = logging.getLogger("faceforge.http")

# 460 is tus's "Checksum Mismatch"; http.HTTPStatus does not know it.
HTTP_460_CHECKSUM_MISMATCH = 460
STATUS_BY_CODE = {
    "unauthorized": HTTP_401_UNAUTHORIZED,
    "forbidden": HTTP_403_FORBIDDEN,
    "not_found": HTTP_404_NOT_FOUND,
    "method_not_allowed": HTTP_405_METHOD_NOT_ALLOWED,
    "validation_error": HTTP_422_UNPROCESSABLE_ENTITY,
    "lease_expired": HTTP_409_CONFLICT,  # before "conflict": a bare 409 reads back as "conflict"
    "damaged": HTTP_409_CONFLICT,
    "conflict": HTTP_409_CONFLICT,
    "gone": HTTP_410_GONE,
    "locked": HTTP_423_LOCKED,
    "checksum_mismatch": HTTP_460_CHECKSUM_MISMATCH,
    "client_disconnected": HTTP_400_BAD_REQUEST,
    "payload_too_large": HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "range_not_satisfiable": HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE,
    "insufficient_storage": HTTP_507_INSUFFICIENT_STORAGE,
    "unavailable": HTTP_503_SERVICE_UNAVAILABLE,
    "internal_error": HTTP_500_INTERNAL_SERVER_ERROR,
}
_CODE_BY_STATUS = {status: code for code, status in STATUS_BY_CODE.items()}
_CODE_BY_STATUS[HTTP_400_BAD_REQUEST] = "validation_error"
_CODE_BY_STATUS[HTTP_412_PRECONDITION_FAILED] = "precondition_failed"
_CODE_BY_STATUS[HTTP_415_UNSUPPORTED_MEDIA_TYPE] = "unsupported_media_type"


def _framework_message(request: Request[Any, Any, Any], exc: HTTPException) -> str:
    """Litestar's own errors carry a bare reason phrase ("Not Found"): say what happened instead."""
    status = exc.status_code
    if exc.detail and exc.detail != HTTPStatus(status).phrase:
        return exc.detail
    method, path = request.method, request.url.path
    if status == HTTP_404_NOT_FOUND:
        return f"there is no route for {method} {path}"
    if status == HTTP_405_METHOD_NOT_ALLOWED:
        allowed = ", ".join(
            sorted(m.strip() for m in (exc.headers or {}).get("allow", "").split(",") if m.strip())
        )
        return f"{path} does not accept {method}" + (f"; it accepts {allowed}" if allowed else "")
    if status == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        handler = request.scope.get("route_handler")
        limit = handler.resolve_request_max_body_size() if isinstance(handler, HTTPRouteHandler) else None
        return "the request body is larger than this route accepts" + (f" ({limit} bytes)" if limit else "")
    if status == HTTP_401_UNAUTHORIZED:
        return "a valid install token is required"
    return f"the request failed: {HTTPStatus(status).phrase.lower()}"


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response[ErrorEnvelope]:
    return Response(
        ErrorEnvelope(error=ErrorDetail(code=code, message=message, details=details)),
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def _validation_details(extra: Any) -> list[FieldError]:
    """Litestar's validation extras (``key``/``message``/``source``) as field errors."""
    items = extra if isinstance(extra, list) else [extra] if extra else []
    details = []
    for item in items:
        if isinstance(item, dict):
            key = item.get("key")
            field = "body" if key in (None, "", "data") else slash_path(str(key))  # "data": the whole body
            message = str(item.get("message", "is invalid"))
            if key and message == repr(key):  # Litestar reports a missing value as its bare KeyError
                message = "a JSON body is required" if key == "data" else "is required"
            details.append(reword(message, field))
        else:
            details.append(FieldError("body", str(item)))
    return details


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[ErrorEnvelope]:
    headers = None
    if isinstance(exc, RangeNotSatisfiable):
        headers = {"Content-Range": f"bytes */{exc.size}"}
    return error_response(STATUS_BY_CODE.get(exc.code, 500), exc.code, exc.message, exc.details, headers)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorEnvelope]:
    status = exc.status_code
    if isinstance(exc, ValidationException) or status == HTTP_400_BAD_REQUEST:
        details = _validation_details(exc.extra)
        message = exc.detail or "the request is invalid"
        if status == HTTP_400_BAD_REQUEST and not details:
            details = [FieldError("body", message)]
        elif details and message.startswith("Validation failed for"):  # Litestar's generic summary
            message = "; ".join(f"{d.field}: {d.message}" for d in details)
        return error_response(HTTP_422_UNPROCESSABLE_ENTITY, "validation_error", message, details)
    if status >= HTTP_500_INTERNAL_SERVER_ERROR:
        return handle_unexpected(request, exc)
    code = _CODE_BY_STATUS.get(status, "http_error")
    return error_response(status, code, _framework_message(request, exc), None, dict(exc.headers or {}))


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorEnvelope]:
    log.error(
        "unhandled error",
        exc_info=exc,
        extra={"method": request.method, "path": request.url.path},
    )
    return error_response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "something went wrong inside FaceForge; the details are in the server log",
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
