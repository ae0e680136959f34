"""ReadAhead: the head of a stream read ahead gives back every byte, in order, once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_adapters.storage.read_ahead import ReadAhead

pytestmark = pytest.mark.anyio


async def stream(pieces: list[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


async def joined(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


@given(pieces=st.lists(st.binary(max_size=40), max_size=12), limit=st.integers(0, 200))
async def test_replay_gives_every_byte_in_order_whatever_the_pieces_and_limit(
    pieces: list[bytes], limit: int
) -> None:
    ahead = await ReadAhead.take(stream(pieces), limit)
    whole = b"".join(pieces)
    assert ahead.ended == (len(whole) <= limit)
    assert bytes(ahead.head) == whole[: len(ahead.head)]
    assert len(ahead.head) <= limit + max((len(p) for p in pieces), default=0)
    assert await joined(ahead.replay()) == whole


async def test_a_stream_that_ended_in_the_head_replays_any_number_of_times() -> None:
    ahead = await ReadAhead.take(stream([b"short", b" one"]), 100)
    assert ahead.ended
    assert [await joined(ahead.replay()) for _ in range(2)] == [b"short one"] * 2
    assert ahead.replayable


async def test_the_rest_is_read_once_and_then_the_stream_is_no_longer_replayable() -> None:
    ahead = await ReadAhead.take(stream([b"abc", b"def", b"ghi"]), 4)
    assert (bytes(ahead.head), ahead.ended) == (b"abcdef", False)
    replay = ahead.replay()
    assert await anext(replay) == b"abcdef"
    assert ahead.replayable  # only the head went: another store can still get it all
    assert await anext(replay) == b"ghi"
    assert not ahead.replayable
    with pytest.raises(RuntimeError, match="read already"):
        await joined(ahead.replay())
