"""InMemorySessionRepository: the web UI sessions fake."""

from __future__ import annotations

from datetime import datetime

import msgspec

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.sessions import SignInCode, UiSession


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

    async def add_code(self, code: SignInCode) -> None:
        if code.code_hash in self._state.sign_in_codes:
            raise KeyError(code.code_hash)
        self._state.sign_in_codes[code.code_hash] = code

    async def get_code(self, code_hash: str) -> SignInCode | None:
        return self._state.sign_in_codes.get(code_hash)

    async def use_code(self, code_hash: str, now: datetime) -> bool:
        code = self._state.sign_in_codes.get(code_hash)
        if code is None or code.used_at is not None or code.expires_at <= now:
            return False
        self._state.sign_in_codes[code_hash] = msgspec.structs.replace(code, used_at=now)
        return True

    async def remove_codes_before(self, moment: datetime) -> int:
        ended = [key for key, code in self._state.sign_in_codes.items() if code.expires_at < moment]
        for key in ended:
            del self._state.sign_in_codes[key]
        return len(ended)
