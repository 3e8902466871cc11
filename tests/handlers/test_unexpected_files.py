"""A document sent outside every conversation that is not an order file (say `notes.txt`
after /import) gets an answer that says where files go, in the sender's language, instead of
"I didn't understand"; nothing is imported."""

from __future__ import annotations

from collections.abc import Callable

from tests.handlers.chat import Chat, HandlerBot
from tests.handlers.factories import make_seller

SELLER, BUYER = 8971, 8972


async def test_a_seller_hears_where_files_go(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat]
) -> None:
    await make_seller(handler_bot, SELLER)
    chat = chat_of(SELLER)
    await chat.send("/import")
    answer = await chat.send_document("notes.txt", "text/plain", content=b"hello")
    assert answer.texts == [handler_bot.text("common.file_not_expected", seller=True)]
    assert answer.says("/rates") and answer.says("CSV or XLSX")
    async with handler_bot.uow() as uow:
        seller = await uow.sellers.by_telegram_user(SELLER)
        assert seller is not None
        assert await uow.order_imports.running_for(seller.id) is None


async def test_anyone_else_hears_where_a_returns_files_go_in_their_language(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat]
) -> None:
    chat = chat_of(BUYER, language="ru")
    answer = await chat.send_document("scan.pdf", "application/pdf", content=b"%PDF-1.4")
    assert answer.texts == [handler_bot.text("common.file_not_expected", "ru", seller=False)]
    assert answer.says("/case")
