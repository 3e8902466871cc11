"""What an order file meets besides its columns, through Telegram updates: a rate card sent
without /rates is named as one (and /rates then takes the same file), a row past its ship-by
is skipped naming the row and the date while the rest goes in, and an import fills the store
only up to IMPORT_MAX_OPEN_ORDERS open orders (refused at once when the store is full)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import select

from domain.model import ImportStatus, Order, OrderImport
from domain.services import logistics_settings, sellers
from domain.services.orders import intake
from handlers.shipping_callbacks import SentRateCard
from tests.handlers.chat import Chat, HandlerBot

SELLER = 8811
CSV = "text/csv"
RATE_CARD = (
    b"# example card\n"
    b"country,zone\nDE,eu\nFR,eu\n\n"
    b"from,to,method,currency,per_kg,per_wm,minimum,fixed_fee,transit_min,transit_max\n"
    b"CN,eu,express,USD,8.50,,20,3,4,8\n"
    b"CN,eu,sea,USD,,95,60,45,30,45\n"
)
HEADER = "order_number,ship_to_country,ship_to_postcode,currency,product_name,quantity,unit_price,ship_by"


def _orders_csv(*rows: tuple[str, str]) -> bytes:
    lines = [HEADER] + [
        f"{number},US,94105,USD,Phone case,1,3.50,{ship_by}" for number, ship_by in rows
    ]
    return ("\n".join(lines) + "\n").encode()


async def _register(bot: HandlerBot, locale: str) -> int:
    async with bot.uow() as uow:
        seller = await sellers.register_seller(
            sellers.RegisterSeller(SELLER, "Store", "VN", locale), uow
        )
        await uow.commit()
        return seller.id


async def _with_open_orders_limit(bot: HandlerBot, limit: int) -> None:
    bot.settings = bot.settings.model_copy(update={"import_max_open_orders": limit})
    await bot.restart()


async def _notices(bot: HandlerBot) -> list[tuple[SendMessage, Any]]:
    """What the background import sent the chat (its outcome comes through the outbox), with
    what Telegram answered."""
    await bot.app.order_imports.wait()
    mark = len(bot.session.exchanges)
    await bot.app.outbox.drain()
    return [
        (method, result)
        for method, result in bot.session.exchanges[mark:]
        if isinstance(method, SendMessage) and int(method.chat_id) == SELLER
    ]


async def _imported(bot: HandlerBot) -> list[str]:
    return [method.text for method, _ in await _notices(bot)]


async def _db(bot: HandlerBot, query: Any) -> list[Any]:
    async with bot.uow() as uow:
        return list(await uow.session.scalars(query))


async def test_the_import_help_states_the_limits_in_chinese_typography(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat]
) -> None:
    await _register(handler_bot, "zh_Hans")
    answer = await chat_of(SELLER).send("/import")
    assert "行）。第一行为列名；其余每行是一个订单行。同一订单" in answer.text
    assert "少于 10,000 个时" in answer.text
    assert "发货截止时间必须尚未到期" in answer.text
    assert "order_number、ship_to_country" in answer.text


async def test_a_rate_card_sent_as_an_order_file_is_named_and_rates_then_takes_it(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat]
) -> None:
    await _register(handler_bot, "ru")
    chat = chat_of(SELLER)
    await chat.send_document("rates.csv", CSV, content=RATE_CARD)
    told = await _imported(handler_bot)
    assert len(told) == 1
    assert handler_bot.text("import.rate_card_sent", "ru") in told[0]
    assert "похож на тарифную сетку" in told[0] and "/rates" in told[0]
    assert await _db(handler_bot, select(Order.number)) == []
    assert await _db(handler_bot, select(OrderImport.status)) == [ImportStatus.FAILED]

    # The way the answer points to: /rates, then the same file.
    await chat.send("/rates")
    saved = await chat.send_document("rates.csv", CSV, content=RATE_CARD)
    assert any("✅ Ваша тарифная сетка сохранена" in text for text in saved.texts)
    async with handler_bot.uow() as uow:
        profile = await logistics_settings.current_profile(SELLER, uow)
    assert profile.custom_card and profile.rate_card.lane_for("CN", "DE") is not None


async def test_the_button_under_the_answer_uses_the_file_as_the_rate_card(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat]
) -> None:
    await _register(handler_bot, "zh_Hans")
    chat = chat_of(SELLER)
    await chat.send_document("运费.csv", CSV, content=RATE_CARD)
    [(notice, sent)] = await _notices(handler_bot)
    assert "点击下方的“用作我的运费表”" in notice.text
    assert isinstance(notice.reply_markup, InlineKeyboardMarkup)
    [[button]] = notice.reply_markup.inline_keyboard
    assert button.text == handler_bot.label("logistics.use_sent_rate_card", "zh_Hans")
    assert button.callback_data is not None

    pressed = await chat.press_data(sent.message_id, button.callback_data)
    assert pressed.unbuttoned == [sent.message_id]
    assert any("您的运费表已保存" in text for text in pressed.texts), pressed.texts
    async with handler_bot.uow() as uow:
        profile = await logistics_settings.current_profile(SELLER, uow)
    assert profile.custom_card and profile.rate_card.lane_for("CN", "FR") is not None

    assert await _db(handler_bot, select(OrderImport.status)) == [ImportStatus.TAKEN_AS_RATE_CARD]

    # A forged id (another store's import, or none) is answered as not found; nothing changes.
    forged = await chat.press_data(sent.message_id, SentRateCard(import_id=987_654).pack())
    assert forged.texts == []
    assert [popup.text for popup in forged.popups] == [
        handler_bot.plain("errors.not_found", "zh_Hans")
    ]
    # The same button again, once another card replaced this one: it is used up, so the old
    # file never comes back as the card.
    await chat.send("/rates")
    await chat.send_document("rates2.csv", CSV, content=RATE_CARD.replace(b"FR", b"IT"))
    replayed = await chat.press_data(sent.message_id, button.callback_data)
    assert [popup.text for popup in replayed.popups] == [
        handler_bot.plain("errors.not_found", "zh_Hans")
    ]
    async with handler_bot.uow() as uow:
        profile = await logistics_settings.current_profile(SELLER, uow)
    assert profile.rate_card.lane_for("CN", "IT") is not None
    assert profile.rate_card.lane_for("CN", "FR") is None


async def test_a_row_past_its_deadline_is_named_and_the_store_fills_to_its_limit(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat]
) -> None:
    await _with_open_orders_limit(handler_bot, 3)
    await _register(handler_bot, "en")
    chat = chat_of(SELLER)
    content = _orders_csv(
        ("LATE-1", "2026-11-20"),
        *((f"OK-{n}", "2026-12-01") for n in range(1, 6)),
    )
    await chat.send_document("orders.csv", CSV, content=content)
    [report] = await _imported(handler_bot)
    assert "Orders imported: <b>3</b>" in report
    assert "Row 2 (order LATE-1): The ship-by deadline 2026-11-20 has already passed" in report
    assert "⛔ Not imported: <b>2</b> new orders, because your store reached 3 open orders" in (
        report
    )
    assert sorted(await _db(handler_bot, select(Order.number))) == ["OK-1", "OK-2", "OK-3"]

    # The store is full: the next file is refused at once, and nothing is read.
    refused = await chat.send_document("orders.csv", CSV, content=content)
    assert refused.texts == [handler_bot.text("import.open_orders_full", max=3, open=3)]
    statuses = await _db(handler_bot, select(OrderImport.status))
    assert statuses == [ImportStatus.DONE]


async def test_orders_typed_in_count_towards_the_limit_but_are_never_refused_by_it(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat]
) -> None:
    await _with_open_orders_limit(handler_bot, 1)
    seller_id = await _register(handler_bot, "es")
    async with handler_bot.uow() as uow:
        for number in ("T-1", "T-2"):
            await intake.create_order(
                intake.NewOrder(
                    seller_id=seller_id,
                    number=number,
                    ship_to_country="US",
                    ship_to_postcode="94105",
                    currency="USD",
                    ship_by=datetime(2026, 12, 1, tzinfo=UTC),
                    lines=[intake.NewOrderLine("Case", 1, "3.50")],
                ),
                uow,
            )
        await uow.commit()
    refused = await chat_of(SELLER).send_document(
        "pedidos.csv", CSV, content=_orders_csv(("N-1", "2026-12-01"))
    )
    assert refused.texts == [handler_bot.text("import.open_orders_full", "es", max=1, open=2)]
    assert "Tu tienda ya tiene 2 pedidos abiertos" in refused.text
    assert await _db(handler_bot, select(OrderImport.id)) == []
