"""Web UI sessions, run against the in-memory fake and a real SQLite file: start, check, end, expire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from units_support import BACKENDS, units_for

from faceforge_domain.clock import FixedClock
from faceforge_domain.ports import UnitOfWorkFactory
from faceforge_domain.sessions import SESSION_LIFETIME, SessionService, csrf_for, csrf_matches

pytestmark = pytest.mark.anyio
TOKEN = "install-token-one"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(params=BACKENDS)
async def units(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[UnitOfWorkFactory]:
    async with units_for(request.param, tmp_path, clock) as built:
        yield built


@pytest.fixture
def sessions(units: UnitOfWorkFactory, clock: FixedClock) -> SessionService:
    return SessionService(units, clock)


async def test_a_started_session_is_live_until_it_ends(sessions: SessionService) -> None:
    started = await sessions.start(TOKEN)
    assert await sessions.check(started.session_id, TOKEN)
    await sessions.end(started.session_id)
    assert not await sessions.check(started.session_id, TOKEN)


async def test_each_sign_in_is_a_session_of_its_own(sessions: SessionService) -> None:
    first, second = await sessions.start(TOKEN), await sessions.start(TOKEN)
    assert first.session_id != second.session_id
    assert first.csrf != second.csrf
    await sessions.end(first.session_id)
    assert await sessions.check(second.session_id, TOKEN)


async def test_the_server_keeps_only_a_hash_of_the_session_id(
    sessions: SessionService, units: UnitOfWorkFactory
) -> None:
    started = await sessions.start(TOKEN)
    async with units.read() as uow:
        assert await uow.sessions.get(started.session_id) is None  # not stored under the id itself


async def test_a_session_ends_when_its_lifetime_is_over(sessions: SessionService, clock: FixedClock) -> None:
    started = await sessions.start(TOKEN)
    clock.advance(SESSION_LIFETIME - timedelta(seconds=1))
    assert await sessions.check(started.session_id, TOKEN)
    clock.advance(timedelta(seconds=1))
    assert not await sessions.check(started.session_id, TOKEN)


async def test_ended_sessions_are_dropped_when_the_next_one_starts(
    sessions: SessionService, units: UnitOfWorkFactory, clock: FixedClock
) -> None:
    old = await sessions.start(TOKEN)
    clock.advance(SESSION_LIFETIME)
    await sessions.start(TOKEN)
    async with units.write() as uow:  # rolled back: only asks whether any was left
        assert await uow.sessions.remove_expired(clock.now()) == 0  # already gone
    assert not await sessions.check(old.session_id, TOKEN)


async def test_a_new_install_token_ends_every_session(sessions: SessionService) -> None:
    started = await sessions.start(TOKEN)
    assert not await sessions.check(started.session_id, "install-token-two")


async def test_unknown_and_malformed_session_ids_are_not_live(sessions: SessionService) -> None:
    for guess in ("", "x", "\x00", "é" * 300, "ff_session"):
        assert not await sessions.check(guess, TOKEN)
    await sessions.end("never-started")  # ending what does not exist is fine


async def test_the_csrf_value_belongs_to_one_session(sessions: SessionService) -> None:
    first, second = await sessions.start(TOKEN), await sessions.start(TOKEN)
    assert first.csrf == csrf_for(first.session_id)
    assert csrf_matches(first.session_id, first.csrf)
    assert not csrf_matches(first.session_id, second.csrf)
    assert not csrf_matches(first.session_id, "")
    assert not csrf_matches(first.session_id, first.session_id)
