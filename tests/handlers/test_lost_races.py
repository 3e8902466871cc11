"""An update whose transaction loses to another one running at the same time (a unique key
taken meanwhile, a row changed since it was read) is run again from the start: the user gets
the answer the committed state calls for, not an apology, and nothing is done twice."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from bot.middlewares import UPDATE_ATTEMPTS
from domain.model.sellers import Seller
from domain.unit_of_work import UnitOfWork
from tests.conftest import FixedClock
from tests.handlers.chat import Answer, Chat, HandlerBot

USER = 8301


async def _to_summary(chat: Chat) -> Answer:
    await chat.send("/start")
    await chat.press("I sell on AliExpress")
    await chat.send("Aurora Gadgets")
    await chat.press("China")
    return await chat.press("English")


async def _stores_of(bot: HandlerBot) -> list[str]:
    async with bot.uow() as uow:
        seller = await uow.sellers.by_telegram_user(USER)
        return [] if seller is None else [seller.store_name]


def _unexpected(bot: HandlerBot) -> str:
    return bot.plain("errors.unexpected", incident_id="x").split("\n")[0]


# SQLite takes one writer at a time: there, the other insert cannot slip in between.
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_a_store_registered_meanwhile_is_announced_not_apologised_for(
    busy_bot: HandlerBot, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same person confirms the summary in two places at once (say, two devices served by
    two processes). Both read "no store yet"; the other one commits first, so this insert hits
    the unique key in the database itself. Run again, the update sees that store."""
    chat = Chat(busy_bot, USER)
    await _to_summary(chat)
    flush = UnitOfWork.flush
    winners: list[str] = []

    async def the_other_commits_first(self: UnitOfWork) -> None:
        inserts_the_store = any(isinstance(row, Seller) for row in self.session.new)
        if inserts_the_store and not winners:
            async with busy_bot.uow() as other:
                other.sellers.add(
                    Seller(
                        telegram_user_id=USER,
                        store_name="Winner Store",
                        home_country="CN",
                        locale="en",
                        created_at=clock(),
                    )
                )
                await other.commit()
            winners.append("Winner Store")
        await flush(self)

    monkeypatch.setattr(UnitOfWork, "flush", the_other_commits_first)
    answer = await chat.press("Create my store")

    # The first run lost on the unique key; the second was refused with the reason.
    assert winners == ["Winner Store"]
    assert answer.alert == busy_bot.plain("registration.already_registered")
    assert await _stores_of(busy_bot) == ["Winner Store"]


async def test_a_commit_refused_as_stale_runs_the_update_again_once(
    busy_bot: HandlerBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = Chat(busy_bot, USER)
    await _to_summary(chat)
    commit = UnitOfWork.commit
    refused: list[bool] = []

    async def refuse_the_first(self: UnitOfWork) -> None:
        if not refused:
            refused.append(True)
            raise StaleDataError("UPDATE statement on table 'sellers' expected to update 1 row")
        await commit(self)

    monkeypatch.setattr(UnitOfWork, "commit", refuse_the_first)
    answer = await chat.press("Create my store")

    assert refused == [True]
    assert answer.texts == [busy_bot.text("registration.done", store_name="Aurora Gadgets")]
    assert await _stores_of(busy_bot) == ["Aurora Gadgets"]
    async with busy_bot.uow() as uow:
        seller = await uow.sellers.by_telegram_user(USER)
        assert seller is not None
        audit = [entry.action for entry in await uow.audit.entries_for("seller", seller.id)]
    assert audit == ["seller.registered"]


async def test_a_race_lost_every_time_gets_the_apology_and_changes_nothing(
    busy_bot: HandlerBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = Chat(busy_bot, USER)
    await _to_summary(chat)
    flush = UnitOfWork.flush
    runs: list[bool] = []

    async def always_lose(self: UnitOfWork) -> None:
        runs.append(True)
        raise IntegrityError("INSERT INTO sellers", {}, Exception("duplicate key"))

    monkeypatch.setattr(UnitOfWork, "flush", always_lose)
    answer = await chat.press("Create my store")
    monkeypatch.setattr(UnitOfWork, "flush", flush)

    assert len(runs) == UPDATE_ATTEMPTS
    assert _unexpected(busy_bot) in (answer.alert or "") + "".join(answer.texts)
    assert await _stores_of(busy_bot) == []
