"""InMemorySessionRepository: the web UI sessions fake."""

from __future__ import annotations

from datetime import datetime

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.sessions import UiSession


class InMemorySessionRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def add(self, session: UiSession) -> None:
        if session.session_hash in self._state.sessions:
            raise KeyError(session.session_hash)
        self._state.sessions[session.session_hash] = session

    async def get(self, session_hash: str) -> UiSession | None:
        return self._state.sessions.get(session_hash)

    async def remove(self, session_hash: str) -> bool:
        return self._state.sessions.pop(session_hash, None) is not None

    async def remove_expired(self, now: datetime) -> int:
        ended = [key for key, session in self._state.sessions.items() if session.expires_at <= now]
        for key in ended:
            del self._state.sessions[key]
        return len(ended)
