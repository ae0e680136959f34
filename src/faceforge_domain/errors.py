"""Domain errors carry data, not HTTP: the HTTP layer maps each class to a status and envelope code."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    """One failing input: ``field`` is a JSON pointer-like path or a parameter name."""

    field: str
    message: str


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    code = "internal_error"

    def __init__(self, message: str, details: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} was not found", {"kind": kind, "id": key})
        self.kind = kind
        self.key = key


class Conflict(DomainError):
    code = "conflict"


class LeaseExpired(Conflict):
    """A runner reported on a job whose lease it no longer holds (expired, or the job moved on)."""

    code = "lease_expired"


class Forbidden(DomainError):
    code = "forbidden"


class Unavailable(DomainError):
    code = "unavailable"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


class InsufficientStorage(DomainError):
    code = "insufficient_storage"


class RangeNotSatisfiable(DomainError):
    code = "range_not_satisfiable"

    def __init__(self, size: int) -> None:
        super().__init__(f"the requested range is outside the {size}-byte content")
        self.size = size


class Invalid(DomainError):
    """Input that breaks a rule; ``errors`` says which field failed and why, in plain words."""

    code = "validation_error"

    def __init__(self, errors: Sequence[FieldError], message: str | None = None) -> None:
        self.errors = list(errors)
        summary = message or "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        super().__init__(summary or "invalid input", self.errors)

    @classmethod
    def one(cls, field: str, message: str) -> Invalid:
        return cls([FieldError(field, message)])


class DigestMismatch(Invalid):
    """The bytes received are not the ones the client vouched for: their SHA-256 differs."""

    def __init__(self, expected: str, actual: str) -> None:
        message = f"the bytes received have SHA-256 {actual}, not {expected}; nothing was stored"
        super().__init__([FieldError("digest", message)])

    @classmethod
    def check(cls, actual: str, expected: str | None) -> None:
        """Raise when an expected SHA-256 (hex) was given and ``actual`` is another."""
        if expected is not None and actual != expected:
            raise cls(expected, actual)


class Gone(DomainError):
    """It existed, but is no longer usable (an upload past its expiry)."""

    code = "gone"


class Locked(DomainError):
    """Another request holds it right now (a second PATCH to the same upload)."""

    code = "locked"


class ChecksumMismatch(DomainError):
    """The bytes do not match the checksum the client sent with them; they were discarded."""

    code = "checksum_mismatch"


class Interrupted(DomainError):
    """The client stopped sending before its request body was complete."""

    code = "client_disconnected"
