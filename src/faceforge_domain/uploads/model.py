"""An upload in progress: how long it will be, how far it got, what to do with it when complete."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

import msgspec

from faceforge_domain.errors import FieldError, Invalid
from faceforge_domain.services.assets import IngestOptions

UploadState = Literal["receiving", "complete"]
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# Metadata keys this service reads; others (a client's "filetype", say) are kept and echoed back.
INGEST_KEYS = ("kind", "entity_id", "derived_from_asset_id", "role")
FINGERPRINT_KEY = "fingerprint"
MAX_METADATA_BYTES = 64 * 1024


class UploadRecord(msgspec.Struct, kw_only=True):
    """The durable state of one upload; ``offset`` bytes of ``length`` are safely stored."""

    upload_id: str
    length: int
    offset: int = 0
    metadata: dict[str, str] = msgspec.field(default_factory=dict)
    created_at: datetime
    expires_at: datetime
    state: UploadState = "receiving"
    asset_id: str | None = None
    deduplicated: bool = False  # the finished bytes were already stored

    @property
    def complete(self) -> bool:
        return self.state == "complete"

    @property
    def expected_sha256(self) -> str | None:
        return self.metadata.get("sha256")


def ingest_options(metadata: dict[str, str], fallback_name: str) -> IngestOptions:
    """The ingest options the metadata asks for; ``meta`` must be a JSON object, ``sha256`` hex."""
    errors: list[FieldError] = []
    user_metadata = None
    if "meta" in metadata:
        try:
            user_metadata = msgspec.json.decode(metadata["meta"])
        except msgspec.DecodeError as exc:
            errors.append(FieldError("Upload-Metadata.meta", f"is not valid JSON: {exc}"))
        else:
            if not isinstance(user_metadata, dict):
                errors.append(FieldError("Upload-Metadata.meta", "must be a JSON object"))
    sha = metadata.get("sha256")
    if sha is not None and not SHA256_HEX.fullmatch(sha):
        errors.append(FieldError("Upload-Metadata.sha256", "must be 64 lowercase hex digits"))
    if errors:
        raise Invalid(errors)
    fields = {key: metadata.get(key) or None for key in INGEST_KEYS}
    return IngestOptions(
        filename=metadata.get("filename") or fallback_name, user_metadata=user_metadata, **fields
    )
