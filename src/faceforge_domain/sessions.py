"""Signed-in web UI sessions: a random id in an HttpOnly cookie, stored on the server only as its hash.

The install token never sits in a cookie: signing in with it starts a session, and the browser holds
the session's id. A sign-in link carries a short-lived, single-use code instead of the token, so
nobody needs a terminal: the server prints the link, the login page trades the code for a session.
A session ends at sign-out (revoked on the server, not only forgotten by the
browser), after ``SESSION_LIFETIME``, and when the install token changes (each session remembers a
fingerprint of the token it was started with). The CSRF value a page's script echoes is derived from
the session id, so it belongs to that one session and proves nothing for any other.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import Enum
from typing import NamedTuple, Protocol

import msgspec

from faceforge_domain.clock import Clock
from faceforge_domain.transaction import Transaction

SESSION_LIFETIME = timedelta(days=30)
SIGN_IN_CODE_LIFETIME = timedelta(minutes=10)
# Used and expired codes are kept a day, so a late click says "already used" rather than "unknown".
_CODE_MEMORY = timedelta(days=1)
_CSRF_PURPOSE = b"faceforge-csrf\x00"


class UiSession(msgspec.Struct, frozen=True, kw_only=True):
    """What the server keeps of a session: never the id itself, which only the browser holds."""

    session_hash: str
    token_fingerprint: str
    created_at: datetime
    expires_at: datetime


class SignInCode(msgspec.Struct, frozen=True, kw_only=True):
    """A sign-in link's code as the server keeps it: its hash, never the code itself."""

    code_hash: str
    token_fingerprint: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class SignInRefusal(Enum):
    """Why a sign-in code started no session, each worded for the person holding the link."""

    UNKNOWN = "This sign-in link is not valid."
    USED = "This sign-in link has already been used."
    EXPIRED = "This sign-in link has expired."


class SignInCodeRefused(Exception):
    def __init__(self, refusal: SignInRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


class SessionRepository(Protocol):
    async def add(self, session: UiSession) -> None: ...

    async def get(self, session_hash: str) -> UiSession | None: ...

    async def remove(self, session_hash: str) -> bool:
        """Forget one session; False when there was none."""
        ...

    async def remove_expired(self, now: datetime) -> int:
        """Forget every session that ended before ``now``; returns how many."""
        ...

    async def add_code(self, code: SignInCode) -> None: ...

    async def get_code(self, code_hash: str) -> SignInCode | None: ...

    async def use_code(self, code_hash: str, now: datetime) -> bool:
        """Mark the code used if it is unused and not expired at ``now``; False (and nothing changed)
        otherwise. One statement, so two requests racing with the same code cannot both win."""
        ...

    async def remove_codes_before(self, moment: datetime) -> int:
        """Forget every code that expired before ``moment``; returns how many."""
        ...


class SessionUnitOfWork(Transaction, Protocol):
    @property
    def sessions(self) -> SessionRepository: ...


class SessionUnitOfWorkFactory(Protocol):
    def write(self) -> SessionUnitOfWork: ...

    def read(self) -> SessionUnitOfWork: ...


class IssuedCode(NamedTuple):
    """A sign-in code as its link carries it, shown once."""

    code: str
    expires_at: datetime


class StartedSession(NamedTuple):
    """What the browser gets at sign-in: the session id (HttpOnly cookie) and its CSRF value."""

    session_id: str
    csrf: str
    expires_at: datetime


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def csrf_for(session_id: str) -> str:
    """The CSRF value of a session: one-way, so knowing it reveals nothing of the session id."""
    return hashlib.sha256(_CSRF_PURPOSE + session_id.encode("utf-8")).hexdigest()


def csrf_matches(session_id: str, presented: str) -> bool:
    return hmac.compare_digest(csrf_for(session_id).encode(), presented.encode("utf-8", "replace"))


class SessionService:
    """Start, check and end web UI sessions."""

    def __init__(
        self, units: SessionUnitOfWorkFactory, clock: Clock, *, lifetime: timedelta = SESSION_LIFETIME
    ) -> None:
        self._units = units
        self._clock = clock
        self._lifetime = lifetime

    async def start(self, install_token: str) -> StartedSession:
        """A new session for someone who proved they hold ``install_token``; ended ones are dropped."""
        session_id = secrets.token_urlsafe(32)
        now = self._clock.now()
        session = UiSession(
            session_hash=_digest(session_id),
            token_fingerprint=_digest(install_token),
            created_at=now,
            expires_at=now + self._lifetime,
        )
        async with self._units.write() as uow:
            await uow.sessions.remove_expired(now)
            await uow.sessions.add(session)
            await uow.commit()
        return StartedSession(session_id, csrf_for(session_id), session.expires_at)

    async def issue_code(self, install_token: str) -> IssuedCode:
        """A single-use code for a sign-in link, live for ``SIGN_IN_CODE_LIFETIME``."""
        code = secrets.token_urlsafe(16)
        now = self._clock.now()
        record = SignInCode(
            code_hash=_digest(code),
            token_fingerprint=_digest(install_token),
            created_at=now,
            expires_at=now + SIGN_IN_CODE_LIFETIME,
        )
        async with self._units.write() as uow:
            await uow.sessions.remove_codes_before(now - _CODE_MEMORY)
            await uow.sessions.add_code(record)
            await uow.commit()
        return IssuedCode(code, record.expires_at)

    async def redeem_code(self, code: str, install_token: str) -> StartedSession:
        """Trade a sign-in code for a session, once; ``SignInCodeRefused`` says why not otherwise.

        A code minted under an install token that has since changed counts as unknown, like a
        session started with it."""
        code_hash, now = _digest(code), self._clock.now()
        async with self._units.write() as uow:
            record = await uow.sessions.get_code(code_hash)
            if record is None or not hmac.compare_digest(record.token_fingerprint, _digest(install_token)):
                raise SignInCodeRefused(SignInRefusal.UNKNOWN)
            if not await uow.sessions.use_code(code_hash, now):
                used = record.used_at is not None
                raise SignInCodeRefused(SignInRefusal.USED if used else SignInRefusal.EXPIRED)
            await uow.commit()
        return await self.start(install_token)

    async def check(self, session_id: str, install_token: str) -> bool:
        """Whether ``session_id`` is a live session started with the current install token."""
        async with self._units.read() as uow:
            session = await uow.sessions.get(_digest(session_id))
        return (
            session is not None
            and session.expires_at > self._clock.now()
            and hmac.compare_digest(session.token_fingerprint, _digest(install_token))
        )

    async def end(self, session_id: str) -> None:
        """Revoke the session: its cookie stops working at once, wherever a copy of it is."""
        async with self._units.write() as uow:
            await uow.sessions.remove(_digest(session_id))
            await uow.commit()
