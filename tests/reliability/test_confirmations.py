"""Questions awaiting confirmation on both databases: asking again replaces the question in
the same transaction (one row per user and purpose), a token is redeemed once and only within
its lifetime and about its subject, and the rows go with the user's erasure."""

from __future__ import annotations

from collections.abc import Callable

from domain.services import confirmations, erasure
from domain.unit_of_work import UnitOfWork
from tests.conftest import FixedClock

UowFactory = Callable[[], UnitOfWork]
USER = 4401
ARCHIVE = confirmations.Purpose.ARCHIVE_WAREHOUSE


async def _ask(uow_factory: UowFactory, purpose: confirmations.Purpose, about: int = 0) -> int:
    async with uow_factory() as uow:
        await uow.users.touch(USER, None, uow.now())
        token = await confirmations.ask(USER, purpose, uow, about=about)
        await uow.commit()
        return token


async def _redeem(
    uow_factory: UowFactory, purpose: confirmations.Purpose, token: int, about: int = 0
) -> bool:
    async with uow_factory() as uow:
        redeemed = await confirmations.redeem(USER, purpose, token, uow, about=about)
        await uow.commit()
        return redeemed


async def test_a_token_answers_only_the_latest_question_once(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    older = await _ask(uow_factory, ARCHIVE, about=7)
    newer = await _ask(uow_factory, ARCHIVE, about=7)
    erasing = await _ask(uow_factory, confirmations.Purpose.ERASURE)
    assert not await _redeem(uow_factory, ARCHIVE, older, about=7)
    # A token of another purpose, or about another subject, answers nothing.
    assert not await _redeem(uow_factory, ARCHIVE, erasing, about=7)
    assert not await _redeem(uow_factory, ARCHIVE, newer, about=8)
    # Redeemed about another subject, it was used up all the same.
    assert not await _redeem(uow_factory, ARCHIVE, newer, about=7)

    again = await _ask(uow_factory, ARCHIVE, about=7)
    clock.advance(minutes=9, seconds=59)
    assert await _redeem(uow_factory, ARCHIVE, again, about=7)
    assert not await _redeem(uow_factory, ARCHIVE, again, about=7)
    # The erasure question was untouched by all of it, until it expires.
    clock.advance(seconds=1)
    assert not await _redeem(uow_factory, confirmations.Purpose.ERASURE, erasing)


async def test_erasure_takes_the_users_questions_with_it(uow_factory: UowFactory) -> None:
    await _ask(uow_factory, ARCHIVE, about=7)
    token = await _ask(uow_factory, confirmations.Purpose.ERASURE)
    async with uow_factory() as uow:
        assert await erasure.erase_on_confirmation(USER, token, uow) == []
        await uow.commit()
    async with uow_factory() as uow:
        for purpose in confirmations.Purpose:
            assert await uow.confirmations.latest(USER, purpose) is None
