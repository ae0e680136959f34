"""ReadAhead: the first bytes of a stream read ahead, so a store can choose a path before it commits.

A streamed S3 upload sends bytes it can never take back. Reading the first part ahead lets the store
see whether the stream is small (one PUT, under its content key, retried elsewhere if S3 refuses it)
and lets the routing store fall back to the filesystem while nothing past that part has been read:
``replay`` gives the whole stream again as long as its rest is untouched.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator


class ReadAhead:
    """A stream's head (held in memory) and its untouched rest."""

    def __init__(self, head: bytearray, rest: AsyncIterator[bytes], *, ended: bool) -> None:
        self.head = head
        self.ended = ended
        self._rest = rest
        self._rest_touched = False

    @classmethod
    async def take(cls, chunks: AsyncIterable[bytes], limit: int) -> ReadAhead:
        """Read until more than ``limit`` bytes are held or the stream ends (memory: ``limit`` + a chunk)."""
        rest = aiter(chunks)
        head = bytearray()
        async for chunk in rest:
            head += chunk
            if len(head) > limit:
                return cls(head, rest, ended=False)
        return cls(head, rest, ended=True)

    @property
    def replayable(self) -> bool:
        """Whether ``replay`` still gives every byte (nothing past the head has been read)."""
        return not self._rest_touched

    async def replay(self) -> AsyncIterator[bytes]:
        """The whole stream: the head, then the rest (which can be read once only)."""
        if self._rest_touched:
            raise RuntimeError("the rest of this stream has been read already")
        if self.head:
            yield bytes(self.head)
        if self.ended:
            return
        self._rest_touched = True
        async for chunk in self._rest:
            yield chunk
