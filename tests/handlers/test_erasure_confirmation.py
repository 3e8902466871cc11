"""/delete_my_data erases only on the "yes" of the latest prompt, within ten minutes, once: a
forged press, an old prompt from the scrollback, an expired one or one already answered erase
nothing and say to ask again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.services.orders import intake
from tests.conftest import FixedClock
from tests.handlers.chat import Answer, BotMessage, Chat, HandlerBot
from tests.handlers.factories import make_seller

SELLER = 7701
YES, KEEP = "Yes, delete my data", "Keep my data"


def _yes_of(prompt: BotMessage) -> str:
    [data] = [
        button.callback_data for row in prompt.keyboard for button in row if YES in button.text
    ]
    assert data is not None
    return data


async def _store_exists(bot: HandlerBot, user_id: int) -> bool:
    async with bot.uow() as uow:
        return await uow.sellers.by_telegram_user(user_id) is not None


def _refused_as_stale(bot: HandlerBot, answer: Answer) -> None:
    assert answer.alert == bot.plain("erasure.stale")
    assert answer.messages == []
    # The pressed prompt loses its buttons: it no longer looks as if it could erase.
    assert len(answer.unbuttoned) == 1


async def test_the_latest_prompts_yes_erases(handler_bot: HandlerBot) -> None:
    await make_seller(handler_bot, SELLER)
    chat = Chat(handler_bot, SELLER)
    prompt = await chat.send("/delete_my_data")
    assert prompt.labels == ["🗑 Yes, delete my data", "Keep my data"]
    done = await chat.press(YES)
    assert done.text == handler_bot.text("erasure.done")
    assert not await _store_exists(handler_bot, SELLER)


async def test_a_forged_yes_without_a_prompt_erases_nothing(handler_bot: HandlerBot) -> None:
    await make_seller(handler_bot, SELLER)
    chat = Chat(handler_bot, SELLER)
    # A bare "yes" as buttons were drawn before they carried a token, and made-up tokens.
    for data in ("erase:yes", "erase:yes:0", "erase:yes:1", "erase:yes:1099511627776"):
        _refused_as_stale(handler_bot, await chat.press_data(1, data))
    assert await _store_exists(handler_bot, SELLER)
    # A token the bot never issued does not pass while a real prompt is open either.
    prompt = await chat.send("/delete_my_data")
    issued = int(_yes_of(prompt.last).rsplit(":", 1)[1])
    forged = f"erase:yes:{issued % 2**40 + 1}"
    _refused_as_stale(handler_bot, await chat.press_data(prompt.last.message_id, forged))
    assert await _store_exists(handler_bot, SELLER)
    # ...nor does it use up the real one.
    assert (await chat.press(YES)).text == handler_bot.text("erasure.done")


async def test_a_prompt_older_than_ten_minutes_erases_nothing(
    handler_bot: HandlerBot, clock: FixedClock
) -> None:
    await make_seller(handler_bot, SELLER)
    chat = Chat(handler_bot, SELLER)
    await chat.send("/delete_my_data")
    clock.advance(minutes=10)
    _refused_as_stale(handler_bot, await chat.press(YES))
    assert await _store_exists(handler_bot, SELLER)
    # Asking again works as before.
    await chat.send("/delete_my_data")
    clock.advance(minutes=9, seconds=59)
    assert (await chat.press(YES)).text == handler_bot.text("erasure.done")
    assert not await _store_exists(handler_bot, SELLER)


async def test_an_older_prompt_is_void_once_a_newer_one_was_sent(handler_bot: HandlerBot) -> None:
    await make_seller(handler_bot, SELLER)
    chat = Chat(handler_bot, SELLER)
    older = (await chat.send("/delete_my_data")).last
    newer = (await chat.send("/delete_my_data")).last
    _refused_as_stale(handler_bot, await chat.press_data(older.message_id, _yes_of(older)))
    assert await _store_exists(handler_bot, SELLER)
    done = await chat.press_data(newer.message_id, _yes_of(newer))
    assert done.text == handler_bot.text("erasure.done")


async def test_an_older_prompts_keep_leaves_the_newer_prompt_valid(
    handler_bot: HandlerBot,
) -> None:
    await make_seller(handler_bot, SELLER)
    chat = Chat(handler_bot, SELLER)
    older = (await chat.send("/delete_my_data")).last
    newer = (await chat.send("/delete_my_data")).last
    keep = [b.callback_data for row in older.keyboard for b in row if b.text == KEEP]
    assert keep[0] is not None
    kept = await chat.press_data(older.message_id, keep[0])
    assert kept.text == handler_bot.text("erasure.kept")
    assert kept.unbuttoned == [older.message_id]
    done = await chat.press_data(newer.message_id, _yes_of(newer))
    assert done.text == handler_bot.text("erasure.done")


async def test_keep_voids_the_prompt(handler_bot: HandlerBot) -> None:
    await make_seller(handler_bot, SELLER)
    chat = Chat(handler_bot, SELLER)
    prompt = (await chat.send("/delete_my_data")).last
    kept = await chat.press(KEEP)
    assert kept.text == handler_bot.text("erasure.kept")
    # The same prompt's "yes", pressed afterwards (a second device still shows it).
    _refused_as_stale(handler_bot, await chat.press_data(prompt.message_id, _yes_of(prompt)))
    assert await _store_exists(handler_bot, SELLER)


async def test_a_yes_counts_once(handler_bot: HandlerBot, clock: FixedClock) -> None:
    """Refused for an order opened after the question, the prompt is used up: settled, the
    seller asks again. (An order open already is said at once, with no prompt.)"""
    seller_id = await make_seller(handler_bot, SELLER)
    chat = Chat(handler_bot, SELLER)
    prompt = (await chat.send("/delete_my_data")).last
    async with handler_bot.uow() as uow:
        await intake.create_order(
            intake.NewOrder(
                seller_id=seller_id,
                number="AE-ERASE-1",
                ship_to_country="FR",
                ship_to_postcode="75001",
                currency="EUR",
                ship_by=uow.now() + timedelta(days=5),
                lines=[intake.NewOrderLine("Phone case", 1, "3.50")],
                actor_id=SELLER,
            ),
            uow,
        )
        await uow.commit()
    blocked = await chat.press(YES)
    blocked.assert_says("I can't delete your data yet")
    again = await chat.press_data(prompt.message_id, _yes_of(prompt))
    _refused_as_stale(handler_bot, again)
    assert await _store_exists(handler_bot, SELLER)
    held = await chat.send("/delete_my_data")
    held.assert_says("I can't delete your data yet")
    assert held.labels == []


async def test_a_used_prompt_cannot_erase_the_account_that_comes_back(
    handler_bot: HandlerBot,
) -> None:
    """Erased, the user writes again and registers; the old prompt's "yes" is void."""
    chat = Chat(handler_bot, SELLER)
    prompt = (await chat.send("/delete_my_data")).last
    await chat.press(YES)
    await make_seller(handler_bot, SELLER)
    _refused_as_stale(handler_bot, await chat.press_data(prompt.message_id, _yes_of(prompt)))
    assert await _store_exists(handler_bot, SELLER)


@pytest.mark.parametrize("handler_bot", ["sql", "redis"], indirect=True)
async def test_the_prompt_survives_a_restart_whatever_keeps_conversations(
    handler_bot: HandlerBot,
) -> None:
    """The token is in the database with either conversation storage: a prompt answered after
    a restart still erases, and an older one still does not."""
    await make_seller(handler_bot, SELLER)
    chat = Chat(handler_bot, SELLER)
    older = (await chat.send("/delete_my_data")).last
    newer = (await chat.send("/delete_my_data")).last
    await handler_bot.restart()
    _refused_as_stale(handler_bot, await chat.press_data(older.message_id, _yes_of(older)))
    done = await chat.press_data(newer.message_id, _yes_of(newer))
    assert done.text == handler_bot.text("erasure.done")
    assert not await _store_exists(handler_bot, SELLER)
