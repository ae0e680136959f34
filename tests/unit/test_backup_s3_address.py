"""``s3://bucket/prefix`` names: what parses, what it means, and that a parsed name prints back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_adapters.backup.s3targets import S3Address
from faceforge_domain.errors import Invalid

buckets = st.from_regex(r"[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]", fullmatch=True)
parts = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,12}", fullmatch=True)


@given(buckets, st.lists(parts, max_size=4))
def test_a_parsed_name_prints_back_and_its_prefix_ends_in_a_slash(bucket: str, folders: list[str]) -> None:
    where = f"s3://{bucket}/{'/'.join(folders)}"
    address = S3Address.parse(where)
    assert address == S3Address(bucket, "".join(f"{f}/" for f in folders))
    assert S3Address.parse(str(address)) == address
    assert str(address) == where.rstrip("/")


def test_empty_folders_and_a_trailing_slash_mean_the_same_prefix() -> None:
    assert S3Address.parse("s3://bucket//a///b/") == S3Address("bucket", "a/b/")
    assert S3Address.parse("s3://bucket") == S3Address("bucket", "")


@pytest.mark.parametrize(
    "where",
    [
        "/mnt/backup",
        "s3://",
        "s3://ab",
        "s3://Bucket/x",
        "s3://-bucket/x",
        "s3://bucket/../x",
        "s3://bucket/a/./b",
        "s3://bucket/a b",
    ],
)
def test_names_that_are_not_a_bucket_and_a_safe_prefix_are_refused(where: str) -> None:
    with pytest.raises(Invalid):
        S3Address.parse(where)
