"""Countries under comprehensive embargo (domain.embargo) are neither where an order ships, nor
where a warehouse is, nor where a store is based: typed, they are refused with the reason in the seller's language; among
the matches of a typed name they are not offered, and the choices say so; a forged button
naming one is refused like a typed one, and nothing advances."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.errors import InvalidInput
from domain.model import OrderStatus
from domain.services import sellers
from handlers.callbacks import CountryChoice
from tests.handlers.chat import Answer, Chat, HandlerBot, Press
from tests.handlers.factories import make_seller, warehouses_of

SELLER = 8501


@pytest.fixture
async def chat(handler_bot: HandlerBot, chat_of: Callable[..., Chat]) -> Chat:
    await make_seller(handler_bot, SELLER)  # based in China
    return chat_of(SELLER)


async def _orders_count(bot: HandlerBot) -> int:
    async with bot.uow() as uow:
        seller = await uow.sellers.by_telegram_user(SELLER)
        assert seller is not None
        _, total = await uow.orders.page(seller.id, statuses=list(OrderStatus), limit=1, offset=0)
        return total


# ----- where an order ships -----


@pytest.mark.parametrize(
    ("typed", "code"), [("North Korea", "KP"), ("IR", "IR"), ("SYR", "SY"), ("Cuba", "CU")]
)
async def test_an_embargoed_destination_is_refused_and_asked_again(
    handler_bot: HandlerBot, chat: Chat, typed: str, code: str
) -> None:
    asked = await chat.play("/neworder", "AE-5001")
    refused = await chat.send(typed)
    assert refused.texts == [handler_bot.text("orders.country_embargoed", country=code)]
    await chat.assert_still_asks(asked.last)
    assert (await chat.press("France")).says("postcode")


async def test_the_refusal_names_the_country_and_the_reason_in_the_sellers_language(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat]
) -> None:
    async with handler_bot.uow() as uow:
        await sellers.register_seller(sellers.RegisterSeller(SELLER, "Магазин", "CN", "ru"), uow)
        await uow.commit()
    chat = chat_of(SELLER, language="ru")
    await chat.play("/neworder", "AE-5002")
    refused = await chat.send("Иран")
    assert refused.texts == [handler_bot.text("orders.country_embargoed", "ru", country="IR")]
    assert refused.says("Иран") and refused.says("эмбарго")


async def test_a_name_two_countries_share_offers_only_the_one_served(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await chat.play("/neworder", "AE-5003")
    choices = await chat.send("Korea")
    assert choices.last.text == handler_bot.text("countries.choices", unserved=["KP"])
    assert choices.says("Not offered: North Korea")
    assert [label for label in choices.labels if "Korea" in label] == ["🇰🇷 South Korea"]
    postcode = await chat.press("South Korea")
    assert postcode.last.text == handler_bot.text("orders.ask_postcode", country="KR")


async def test_a_forged_country_button_is_refused(handler_bot: HandlerBot, chat: Chat) -> None:
    asked = await chat.play("/neworder", "AE-5004")
    refused = await chat.press_forged(asked.last.message_id, CountryChoice(code="KP").pack())
    expected = handler_bot.plain("orders.country_embargoed", country="KP")
    assert expected in (refused.alert or "") + refused.text
    await chat.assert_still_asks(asked.last)


async def test_the_summary_cannot_be_reached_with_an_embargoed_country_from_an_edit(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    summary = await chat.play(
        "/neworder", "AE-5005", Press("France"), "75001", Press("EUR"),
        "Phone case", Press("Skip"), "1", "9.90", Press("Done with lines"), Press("+3 d"),
    )  # fmt: skip
    assert summary.says("Please check the order")
    await chat.press("Ship to")
    refused = await chat.send("Syria")
    assert refused.texts == [handler_bot.text("orders.country_embargoed", country="SY")]
    await chat.press("Spain")
    await chat.send("28001")
    await chat.press("Create the order")
    assert await _orders_count(handler_bot) == 1


# ----- where a warehouse is -----


async def test_an_overseas_warehouse_is_offered_no_embargoed_country(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    """Typed, it is refused like any answer (tests/handlers/test_conv_warehouse.py)."""
    await chat.play("/warehouses", Press("Add a warehouse"), Press("Overseas warehouse"))
    asked = await chat.send("Seoul depot")
    forged = await chat.press_forged(asked.last.message_id, CountryChoice(code="CU").pack())
    assert handler_bot.plain("warehouse.country_embargoed", country="CU") in (
        (forged.alert or "") + forged.text
    )
    await chat.assert_still_asks(asked.last)
    choices = await chat.send("Korea")
    assert [label for label in choices.labels if "Korea" in label] == ["🇰🇷 South Korea"]
    assert (await chat.press("South Korea")).says("street")
    assert await warehouses_of(handler_bot, SELLER) == []


async def test_a_store_based_before_the_rule_in_an_embargoed_country_is_refused_a_domestic_warehouse(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat]
) -> None:
    """A store registered before home countries were checked: "Domestic warehouse" is refused
    at once with the reason (it could never be declared), and an overseas one still can be."""
    seller_id = await make_seller(handler_bot, SELLER)
    async with handler_bot.uow() as uow:
        seller = await uow.sellers.get(seller_id)
        assert seller is not None
        seller.home_country = "KP"
        await uow.commit()
    chat = chat_of(SELLER)
    asked = await chat.play("/warehouses", Press("Add a warehouse"))
    refused = await chat.press("Domestic warehouse")
    expected = handler_bot.plain("warehouse.country_embargoed", country="KP")
    assert expected in (refused.alert or "") + refused.text
    await chat.assert_still_asks(asked.last)
    assert (await chat.press("Overseas warehouse")).says("called")


# ----- where a store is based -----


async def _registration_country(chat: Chat) -> Answer:
    await chat.send("/start")
    await chat.press("I sell on AliExpress")
    return await chat.send("Aurora Gadgets")


@pytest.mark.parametrize(("typed", "code"), [("North Korea", "KP"), ("Syria", "SY")])
async def test_a_store_based_in_an_embargoed_country_is_refused_and_asked_again(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat], typed: str, code: str
) -> None:
    chat = chat_of(SELLER)
    asked = await _registration_country(chat)
    refused = await chat.send(typed)
    assert refused.texts == [handler_bot.text("registration.country_embargoed", country=code)]
    await chat.assert_still_asks(asked.last)
    forged = await chat.press_forged(asked.last.message_id, CountryChoice(code=code).pack())
    expected = handler_bot.plain("registration.country_embargoed", country=code)
    assert expected in (forged.alert or "") + forged.text
    assert (await chat.press("China")).says("language")


async def test_a_store_based_in_an_embargoed_country_is_refused_in_the_service_too(
    handler_bot: HandlerBot,
) -> None:
    async with handler_bot.uow() as uow:
        with pytest.raises(InvalidInput) as refused:
            await sellers.register_seller(sellers.RegisterSeller(SELLER, "Store", "ir", "en"), uow)
    assert refused.value.key == "registration.country_embargoed"
    assert refused.value.params == {"country": "IR"}
