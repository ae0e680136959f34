"""Web UI sessions and sign-in codes, run against the in-memory fake and a real SQLite file: start, check,
end, expire; issue a code, redeem it once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import anyio
import pytest
from units_support import BACKENDS, units_for

from faceforge_domain.clock import FixedClock
from faceforge_domain.ports import UnitOfWorkFactory
from faceforge_domain.sessions import (
    SESSION_LIFETIME,
    SIGN_IN_CODE_LIFETIME,
    SessionService,
    SignInCodeRefused,
    SignInRefusal,
    csrf_for,
    csrf_matches,
)

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


async def refusal(sessions: SessionService, code: str, token: str = TOKEN) -> SignInRefusal:
    with pytest.raises(SignInCodeRefused) as refused:
        await sessions.redeem_code(code, token)
    return refused.value.refusal


async def test_a_sign_in_code_starts_one_session_and_only_once(sessions: SessionService) -> None:
    issued = await sessions.issue_code(TOKEN)
    started = await sessions.redeem_code(issued.code, TOKEN)
    assert await sessions.check(started.session_id, TOKEN)
    assert await refusal(sessions, issued.code) is SignInRefusal.USED


async def test_a_sign_in_code_expires_after_its_lifetime(sessions: SessionService, clock: FixedClock) -> None:
    issued = await sessions.issue_code(TOKEN)
    assert issued.expires_at == clock.now() + SIGN_IN_CODE_LIFETIME
    clock.advance(SIGN_IN_CODE_LIFETIME)
    assert await refusal(sessions, issued.code) is SignInRefusal.EXPIRED
    later = await sessions.issue_code(TOKEN)
    clock.advance(SIGN_IN_CODE_LIFETIME - timedelta(seconds=1))
    assert await sessions.check((await sessions.redeem_code(later.code, TOKEN)).session_id, TOKEN)


async def test_unknown_codes_and_codes_of_another_install_token_are_refused(sessions: SessionService) -> None:
    for guess in ("", "x", "\x00", "é" * 300):
        assert await refusal(sessions, guess) is SignInRefusal.UNKNOWN
    issued = await sessions.issue_code(TOKEN)
    assert await refusal(sessions, issued.code, "install-token-two") is SignInRefusal.UNKNOWN
    assert await sessions.redeem_code(issued.code, TOKEN)  # the refusal did not use it up


async def test_the_server_keeps_only_a_hash_of_the_code(
    sessions: SessionService, units: UnitOfWorkFactory
) -> None:
    issued = await sessions.issue_code(TOKEN)
    async with units.read() as uow:
        assert await uow.sessions.get_code(issued.code) is None


async def test_codes_expired_a_day_ago_are_dropped_when_the_next_is_issued(
    sessions: SessionService, units: UnitOfWorkFactory, clock: FixedClock
) -> None:
    old = await sessions.issue_code(TOKEN)
    clock.advance(timedelta(hours=23))
    await sessions.issue_code(TOKEN)
    assert await refusal(sessions, old.code) is SignInRefusal.EXPIRED  # still remembered
    clock.advance(timedelta(hours=2))
    await sessions.issue_code(TOKEN)
    assert await refusal(sessions, old.code) is SignInRefusal.UNKNOWN
    async with units.write() as uow:  # rolled back: only asks whether any was left
        assert await uow.sessions.remove_codes_before(clock.now() - timedelta(days=1)) == 0


async def test_of_many_tries_at_once_with_one_code_exactly_one_signs_in(sessions: SessionService) -> None:
    issued = await sessions.issue_code(TOKEN)
    outcomes: list[bool] = []

    async def attempt() -> None:
        try:
            await sessions.redeem_code(issued.code, TOKEN)
        except SignInCodeRefused:
            outcomes.append(False)
        else:
            outcomes.append(True)

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(attempt)
    assert sorted(outcomes) == [False] * 4 + [True]
