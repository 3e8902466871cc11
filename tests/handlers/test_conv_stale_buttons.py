"""Buttons left on older messages of a conversation, through the dispatcher.

A conversation's buttons act on the draft as it is now, so only the current prompt's act (the
message asked last, drawn after the last change of the draft): a button of an earlier prompt or
summary is answered with a pop-up saying it is from an earlier message, loses its buttons, and
the current step is asked again — nothing else happens. Cancel is the exception: from any
message of the conversation it leaves. The engine does this for every conversation; these
tests go through store registration (the testers' case), a new order, a warehouse and a
buyer's return request.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.returns.rules import Resolution
from handlers import button_stamps
from tests.handlers.chat import Answer, BotMessage, Chat, HandlerBot
from tests.handlers.factories import make_seller, warehouses_of
from tests.returns_fixtures import shipped_to_buyer
from tests.tracking_fixtures import Store

SELLER = 8901
NEWCOMER = 8902
RETURN_SELLER, RETURN_BUYER = 8903, 8904
ChatOf = Callable[..., Chat]


@pytest.fixture
def newcomer(chat_of: ChatOf) -> Chat:
    return chat_of(NEWCOMER, first_name="Mei")


async def _registration_summary(chat: Chat, name: str = "Aurora Gadgets") -> Answer:
    await chat.send("/start")
    await chat.press("I sell on AliExpress")
    await chat.send(name)
    await chat.press("China")
    return await chat.press("English")


async def _store(bot: HandlerBot) -> tuple[str, str] | None:
    async with bot.uow() as uow:
        seller = await uow.sellers.by_telegram_user(NEWCOMER)
        return None if seller is None else (seller.store_name, seller.home_country)


async def _press_on(chat: Chat, message: BotMessage, label: str) -> Answer:
    """Press `label` on that very message (the chat may show a newer one offering it too)."""
    return await chat.press_data(message.message_id, message.data_of(label))


def _refused_as_stale(bot: HandlerBot, pressed: Answer, conversation: str) -> None:
    assert pressed.alert == bot.plain(
        "errors.stale_button_in_conversation", conversation=conversation
    )


# ----- the testers' case: an older summary's "Create" -----


async def test_create_on_an_older_summary_creates_nothing_and_shows_the_current_one(
    handler_bot: HandlerBot, newcomer: Chat
) -> None:
    summary_a = (await _registration_summary(newcomer)).last
    await newcomer.press("Store name")
    summary_b = (await newcomer.send("Aurora Home")).last
    assert "Aurora Home" in summary_b.text

    pressed = await _press_on(newcomer, summary_a, "Create my store")
    _refused_as_stale(handler_bot, pressed, "store_registration")
    assert await _store(handler_bot) is None
    # The old summary loses its buttons; the summary as it stands now is shown again.
    assert pressed.unbuttoned == [summary_a.message_id]
    assert pressed.texts == [summary_b.text]
    assert pressed.labels == summary_b.labels

    # The summary the seller has now read creates the store under the name it shows.
    done = await newcomer.press("Create my store")
    assert done.texts == [handler_bot.text("registration.done", store_name="Aurora Home")]
    assert await _store(handler_bot) == ("Aurora Home", "CN")


async def test_the_summary_shown_again_for_an_old_press_is_current(
    handler_bot: HandlerBot, newcomer: Chat
) -> None:
    summary_a = (await _registration_summary(newcomer)).last
    await newcomer.press("Store name")
    summary_b = (await newcomer.send("Aurora Home")).last
    shown_again = (await _press_on(newcomer, summary_a, "Create my store")).last
    # Showing the summary again makes that message the current prompt: B is now older.
    stale = await _press_on(newcomer, summary_b, "Create my store")
    _refused_as_stale(handler_bot, stale, "store_registration")
    assert await _store(handler_bot) is None
    done = await _press_on(newcomer, stale.last, "Create my store")
    assert done.texts == [handler_bot.text("registration.done", store_name="Aurora Home")]
    assert shown_again.text == summary_b.text


# ----- older prompts: step buttons, Edit and Back -----


async def test_an_earlier_steps_button_does_not_answer_the_current_step(
    handler_bot: HandlerBot, newcomer: Chat
) -> None:
    await newcomer.send("/start")
    await newcomer.press("I sell on AliExpress")
    country_prompt = (await newcomer.send("Aurora Gadgets")).last
    language_prompt = (await newcomer.press("China")).last

    pressed = await _press_on(newcomer, country_prompt, "France")
    _refused_as_stale(handler_bot, pressed, "store_registration")
    assert pressed.texts == [language_prompt.text]
    summary = await newcomer.press("English")
    assert summary.says("Home country: <b>China</b>")


async def test_edit_and_back_on_an_older_message_do_not_move(
    handler_bot: HandlerBot, newcomer: Chat
) -> None:
    summary_a = (await _registration_summary(newcomer)).last
    country_prompt = (await newcomer.press("Country")).last
    summary_b = (await newcomer.send("Germany")).last
    # An edit button of the summary before: the current summary again, no edit begun.
    edit = await _press_on(newcomer, summary_a, "Store name")
    _refused_as_stale(handler_bot, edit, "store_registration")
    assert edit.texts == [summary_b.text]

    language_prompt = (await newcomer.press("✏️ Language")).last
    # Back on the country question asked during the edit before: the language is still asked.
    back = await _press_on(newcomer, country_prompt, "Back")
    _refused_as_stale(handler_bot, back, "store_registration")
    assert back.texts == [language_prompt.text]
    # Back on the current prompt works as ever: from the edit, the summary as it was.
    returned = await newcomer.press("Back")
    assert returned.says("Home country: <b>Germany</b>")


async def test_a_button_of_an_earlier_run_does_not_act_on_the_new_one(
    handler_bot: HandlerBot, newcomer: Chat
) -> None:
    first_summary = (await _registration_summary(newcomer, "First Try")).last
    await newcomer.send("/cancel")
    await newcomer.press("I sell on AliExpress")
    await newcomer.send("Second Try")
    await newcomer.press("Spain")
    current = (await newcomer.press("English")).last

    pressed = await _press_on(newcomer, first_summary, "Create my store")
    _refused_as_stale(handler_bot, pressed, "store_registration")
    assert pressed.texts == [current.text]
    assert await _store(handler_bot) is None


# ----- Cancel -----


async def test_cancel_on_an_older_message_leaves_the_conversation(
    handler_bot: HandlerBot, newcomer: Chat
) -> None:
    await newcomer.send("/start")
    name_prompt = (await newcomer.press("I sell on AliExpress")).last
    await newcomer.send("Aurora Gadgets")
    await newcomer.press("China")

    cancelled = await _press_on(newcomer, name_prompt, "Cancel")
    assert cancelled.texts == [handler_bot.text("cancel.done")]
    assert cancelled.alert is None
    again = await newcomer.send("/start")
    assert again.texts == [handler_bot.text("start.welcome_new", name="Mei")]


# ----- buttons without a stamp, and a restart -----


async def test_a_button_without_a_stamp_is_refused_and_the_step_asked_again(
    handler_bot: HandlerBot, newcomer: Chat
) -> None:
    summary = (await _registration_summary(newcomer)).last
    data = summary.data_of("Create my store")
    unstamped, stamp = button_stamps.split(data)
    assert stamp is not None and unstamped == "reg:ok"
    # Drawn before stamps, or forged: it names no prompt, so none is current for it.
    pressed = await newcomer.press_data(summary.message_id, unstamped)
    _refused_as_stale(handler_bot, pressed, "store_registration")
    assert pressed.texts == [summary.text]
    assert await _store(handler_bot) is None
    # Another prompt's stamp on the current message's data is refused alike.
    other = "0000" if stamp != "0000" else "0001"
    forged = await newcomer.press_data(summary.message_id, button_stamps.stamped(unstamped, other))
    _refused_as_stale(handler_bot, forged, "store_registration")
    assert await _store(handler_bot) is None


@pytest.mark.parametrize("handler_bot", ["sql", "redis"], indirect=True)
async def test_after_a_restart_the_current_prompt_still_acts_and_an_old_one_does_not(
    handler_bot: HandlerBot, newcomer: Chat
) -> None:
    summary_a = (await _registration_summary(newcomer)).last
    await newcomer.press("Store name")
    summary_b = (await newcomer.send("Aurora Home")).last
    await handler_bot.restart()

    stale = await _press_on(newcomer, summary_a, "Create my store")
    _refused_as_stale(handler_bot, stale, "store_registration")
    await handler_bot.restart()
    # The summary shown again is the current one; B became older when it was shown.
    stale = await _press_on(newcomer, summary_b, "Create my store")
    _refused_as_stale(handler_bot, stale, "store_registration")
    done = await _press_on(newcomer, stale.last, "Create my store")
    assert done.texts == [handler_bot.text("registration.done", store_name="Aurora Home")]
    assert await _store(handler_bot) == ("Aurora Home", "CN")


# ----- the same engine in other conversations -----


async def test_a_new_orders_older_summary_creates_nothing(
    handler_bot: HandlerBot, chat_of: ChatOf
) -> None:
    await make_seller(handler_bot, SELLER)
    seller = chat_of(SELLER)
    await seller.send("/neworder")
    await seller.send("AE-3001")
    await seller.press("France")
    await seller.send("75001")
    await seller.press("EUR")
    await seller.send("Phone case")
    await seller.send("PC-1")
    await seller.send("2")
    await seller.send("12.50")
    await seller.press("Done with lines")
    summary_a = (await seller.press("+3 d")).last
    await seller.press("Order number")
    summary_b = (await seller.send("AE-3002")).last

    pressed = await _press_on(seller, summary_a, "Create the order")
    _refused_as_stale(handler_bot, pressed, "new_order")
    assert pressed.texts == [summary_b.text]
    async with handler_bot.uow() as uow:
        seller_row = await uow.sellers.by_telegram_user(SELLER)
        assert seller_row is not None
        assert await uow.orders.by_number(seller_row.id, "AE-3001") is None
        assert await uow.orders.by_number(seller_row.id, "AE-3002") is None
    created = await seller.press("Create the order")
    assert created.says("AE-3002")


async def test_a_warehouse_kind_pressed_on_the_first_question_later_is_not_taken(
    handler_bot: HandlerBot, chat_of: ChatOf
) -> None:
    await make_seller(handler_bot, SELLER)
    seller = chat_of(SELLER)
    await seller.send("/warehouses")
    kinds = (await seller.press("Add a warehouse")).last
    await seller.press("Domestic warehouse")
    country_prompt = (await seller.send("Shenzhen main")).last

    pressed = await _press_on(seller, kinds, "Domestic warehouse")
    _refused_as_stale(handler_bot, pressed, "warehouse_registration")
    assert pressed.texts == [country_prompt.text]
    # Toggles asked again in place keep their message current: each press is taken.
    await seller.press("China")
    for answer in ("1 Keji Road", "Shenzhen", "Skip", "518000", "Li Wei", "138 0013 8000"):
        await (seller.press(answer) if answer == "Skip" else seller.send(answer))
    capabilities = seller.history[-1]
    ticked = await seller.toggle_in_place(capabilities, "Shipping", "Packing")
    documents = await _press_on(seller, ticked, "Done")
    assert documents.alert is None and documents.texts
    assert await warehouses_of(handler_bot, SELLER) == []


async def test_a_buyers_older_return_summary_sends_nothing(
    handler_bot: HandlerBot, chat_of: ChatOf
) -> None:
    store = await Store(handler_bot.app.uow_factory, RETURN_SELLER).open()
    bought = await shipped_to_buyer(
        handler_bot.app.uow_factory, store, "AE-S1", RETURN_BUYER, 31_000_101
    )
    buyer = chat_of(RETURN_BUYER)
    await buyer.send("/return")
    await buyer.press("Phone case")
    await buyer.send("2")
    await buyer.press("Continue")
    await buyer.press("Changed my mind")
    await buyer.press("Skip")
    await buyer.press("Done")
    await buyer.press("Keep it with a partial refund")
    summary_a = (await buyer.send("4")).last
    await buyer.press("✏️ Items")
    await buyer.press("USB cable")
    await buyer.press("Continue")
    summary_b = (await buyer.press("Exchange it")).last

    pressed = await _press_on(buyer, summary_a, "Send the request")
    _refused_as_stale(handler_bot, pressed, "return_request")
    assert pressed.texts == [summary_b.text]
    async with handler_bot.uow() as uow:
        assert await uow.returns.for_order(bought.order_id) == []
    await buyer.press("Send the request")
    async with handler_bot.uow() as uow:
        (case,) = await uow.returns.for_order(bought.order_id)
        assert case.offers[0].resolution is Resolution.EXCHANGE
