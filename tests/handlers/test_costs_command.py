"""/costs through Telegram updates: a month and a method may be asked, a word it does not take
is answered in the seller's language with what it does take, and the answer reads on a phone
(one figure a line, money the locale's way)."""

from __future__ import annotations

from collections.abc import Callable

from domain.services import sellers
from tests.handlers.chat import Chat, HandlerBot

SELLER = 8821


async def _seller_chat(bot: HandlerBot, chat_of: Callable[..., Chat], locale: str) -> Chat:
    async with bot.uow() as uow:
        await sellers.register_seller(sellers.RegisterSeller(SELLER, "Store", "CN", locale), uow)
        await uow.commit()
    return chat_of(SELLER)


async def test_a_word_costs_does_not_take_is_answered_in_the_sellers_language(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat]
) -> None:
    chat = await _seller_chat(handler_bot, chat_of, "ru")
    bad = await chat.send("/costs ноябрь")
    assert bad.texts == [handler_bot.text("logistics.costs_bad_argument", "ru", value="ноябрь")]
    assert "Не понимаю «ноябрь» после /costs." in bad.text
    assert "<code>/costs 2026-10</code>" in bad.text

    month = await chat.send("/costs 2026-13")
    assert month.texts == [handler_bot.text("logistics.costs_bad_month", "ru", value="2026-13")]
    ahead = await chat.send("/costs 2027-02 sea")
    assert ahead.texts == [handler_bot.text("logistics.costs_month_ahead", "ru", value="2027-02")]


async def test_a_past_month_and_one_method(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat]
) -> None:
    chat = await _seller_chat(handler_bot, chat_of, "zh_Hans")
    answer = await chat.send("/costs sea 2026-10")
    lines = answer.text.splitlines()
    assert lines[0] == "📊 <b>物流费用 · 2026年10月</b>"
    assert lines[1] == "10月1日至31日（UTC）"
    assert "仅限：海运" in lines
    assert "该月没有已确认的发货单据。" in lines
    # The arguments are named under every answer.
    assert answer.text.endswith(handler_bot.text("logistics.costs_arguments", "zh_Hans"))


async def test_this_month_so_far_by_default(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat]
) -> None:
    chat = await _seller_chat(handler_bot, chat_of, "en")
    answer = await chat.send("/costs")
    lines = answer.text.splitlines()
    assert lines[:2] == [
        "📊 <b>Logistics costs · November 2026</b>",
        "Nov 1\u2009–\u200925, so far (UTC)",
    ]
    assert "No shipping documents confirmed this month yet." in lines
    assert "Only:" not in answer.text
