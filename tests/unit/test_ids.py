"""Id helpers: record ids are random 64-hex strings, asset ids are the SHA-256 of the bytes."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.ids import ContentHasher, content_hash, is_id, new_id


def test_new_id_has_the_id_shape_and_never_repeats() -> None:
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(is_id(i) for i in ids)


@given(st.binary(max_size=4096))
def test_content_hash_is_sha256_of_the_bytes(data: bytes) -> None:
    digest = content_hash(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert is_id(digest)


@given(st.lists(st.binary(max_size=512), max_size=20))
def test_streaming_hash_equals_whole_hash_however_the_bytes_are_chunked(chunks: list[bytes]) -> None:
    hasher = ContentHasher()
    for chunk in chunks:
        hasher.update(memoryview(chunk))
    whole = b"".join(chunks)
    assert hasher.hexdigest() == content_hash(whole)
    assert hasher.size == len(whole)


@given(st.text(max_size=80))
def test_is_id_accepts_only_64_lowercase_hex_characters(text: str) -> None:
    expected = len(text) == 64 and all(ch in "0123456789abcdef" for ch in text)
    assert is_id(text) is expected


def test_is_id_rejects_uppercase_and_a_trailing_newline() -> None:
    good = new_id()
    assert not is_id(good.upper())
    assert not is_id(good + "\n")
    assert not is_id(good[:-1])
